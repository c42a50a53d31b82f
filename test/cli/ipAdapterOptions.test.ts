import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addIpAdapterOptions, ipAdapterRequest, parseIpImage } from '../../engine/cli/ipAdapterOptions.ts';

describe('--ip-image / --ip-adapter flags', () => {
  it('reads img[:scale], repeatable, into imagePrompts and ipAdapter', () => {
    expect(parseIpImage('a.png')).toEqual({ path: 'a.png', scale: 1 });
    expect(parseIpImage('dir/a.png:0.6')).toEqual({ path: 'dir/a.png', scale: 0.6 });
    expect(parseIpImage('C:\\img.png')).toEqual({ path: 'C:\\img.png', scale: 1 });
    const cmd = addIpAdapterOptions(new Command().exitOverride());
    cmd.parse(['--ip-image', '/x/a.png:0.5', '--ip-image', '/x/b.png', '--ip-adapter', '/m/ip.safetensors', '--ip-blocks', 'up_blocks.1=1,mid_block=0.5'], { from: 'user' });
    expect(ipAdapterRequest(cmd.opts())).toEqual({
      imagePrompts: [{ image: { path: '/x/a.png' }, scale: 0.5 }, { image: { path: '/x/b.png' }, scale: 1 }],
      ipAdapter: { path: '/m/ip.safetensors', blocks: { 'up_blocks.1': 1, mid_block: 0.5 } },
    });
  });

  it('refuses half a setting', () => {
    expect(() => ipAdapterRequest({ ipImage: ['a.png'] })).toThrow(/needs --ip-adapter/);
    expect(() => ipAdapterRequest({ ipAdapter: 'ip.safetensors' })).toThrow(/needs at least one --ip-image/);
    expect(ipAdapterRequest({})).toEqual({});
  });
});
