import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RENDERER_DIST_DIR } from '../paths.ts';
import { installCrashGuard } from '../server/crashGuard.ts';
import { startServer } from '../server/server.ts';
import { createHandlers } from '../studio/handlers.ts';
import { createStudio } from '../studio/create.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the studio UI and API on 127.0.0.1 (open the printed URL, which carries a per-launch token)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '7860')
    .option('--models <dir>', 'models folder for this launch')
    .action(async (opts: { port: string; models?: string }) => {
      installCrashGuard();
      const studio = createStudio();
      if (opts.models) await studio.settings.override({ modelsDir: resolve(opts.models) });
      const running = await startServer({
        handlers: createHandlers(studio),
        onJobEvent: (listener) => studio.queue.onEvent(listener),
        staticDir: RENDERER_DIST_DIR,
        port: Number(opts.port),
      });
      process.stdout.write(`Latent Studio is serving on 127.0.0.1 only.\nOpen: ${running.url}\n`);
      await new Promise<void>((done) => {
        const stop = (): void => void running.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
