// Renders the app icon electron-builder packages (assets/icon.png, 1024², which it scales
// for every system) from assets/icon.svg: `npx tsx electron/renderIcon.ts`.
import sharp from 'sharp';

await sharp('assets/icon.svg', { density: 72 }).resize(1024, 1024).png({ compressionLevel: 9 }).toFile('assets/icon.png');
