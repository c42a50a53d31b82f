import type { StudioConnection } from './client.ts';

/** A URL for a result image: the server's image route over HTTP, a data URL over IPC. */
export async function resultUrl(connection: StudioConnection, imageId: string): Promise<string> {
  if (connection.imageUrl) return connection.imageUrl(imageId);
  const { mime, base64 } = await connection.client['images.read']({ imageId });
  return `data:${mime};base64,${base64}`;
}
