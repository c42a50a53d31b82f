import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseScene } from '../../engine/eval/toyWorld/analyse.ts';
import { nearestColour, rgbToLab } from '../../engine/eval/toyWorld/colour.ts';
import { TOY_COLOURS, TOY_COLOUR_NAMES, TOY_SHAPES } from '../../engine/eval/toyWorld/palette.ts';
import { drawScene } from './drawScene.ts';

describe('toy-world scene analyser', () => {
  it('uses exactly the colours the training data draws', () => {
    const py = readFileSync(join(import.meta.dirname, '../../models/toy-shapes/toyworld.py'), 'utf8');
    const drawn = Object.fromEntries([...py.matchAll(/"(\w+)": \((\d+), (\d+), (\d+)\)/g)].map((m) => [m[1], [+m[2], +m[3], +m[4]]]));
    expect(drawn).toEqual(TOY_COLOURS);
    expect(py).toContain(`SHAPES = [${TOY_SHAPES.map((s) => `"${s}"`).join(', ')}]`);
  });

  it('names every object colour on every background, with texture noise', () => {
    let checked = 0;
    for (const bg of TOY_COLOUR_NAMES) {
      for (const fg of TOY_COLOUR_NAMES) {
        if (fg === bg) continue;
        const scene = analyseScene(drawScene(bg, [{ shape: 'circle', colour: fg, cx: 30, cy: 34, r: 11 }], 6, 64, checked + 1));
        expect(scene.background, `${fg} on ${bg}`).toBe(bg);
        expect(scene.objects.map((o) => o.colour), `${fg} on ${bg}`).toEqual([fg]);
        checked++;
      }
    }
    expect(checked).toBe(132);
  });

  it('names colours as a person would: paler or duller shades keep their hue name', () => {
    const name = (r: number, g: number, b: number) => nearestColour(rgbToLab(r, g, b)).name;
    expect(name(44, 124, 204)).toBe('blue');
    expect(name(200, 60, 60)).toBe('red');
    expect(name(114, 192, 217)).toBe('cyan');
    expect(name(150, 150, 160)).toBe('gray');
    expect(name(235, 235, 230)).toBe('white');
    expect(name(40, 40, 45)).toBe('black');
  });

  it('tells the four shapes apart and finds where they are', () => {
    for (const shape of TOY_SHAPES) {
      const scene = analyseScene(drawScene('white', [{ shape, colour: 'blue', cx: 40, cy: 22, r: 13 }]));
      expect(scene.objects).toHaveLength(1);
      expect(scene.objects[0].shape, shape).toBe(shape);
      expect(Math.abs(scene.objects[0].cx - 40)).toBeLessThan(2);
      // A triangle's centroid is its drawn centre; the others are symmetric.
      expect(Math.abs(scene.objects[0].cy - 22)).toBeLessThan(2);
    }
  });

  it('counts two objects, largest first, and ignores specks', () => {
    const img = drawScene('yellow', [
      { shape: 'square', colour: 'red', cx: 16, cy: 16, r: 8 },
      { shape: 'circle', colour: 'purple', cx: 44, cy: 42, r: 14 },
      { shape: 'circle', colour: 'black', cx: 60, cy: 4, r: 1.2 },
    ]);
    const scene = analyseScene(img);
    expect(scene.objects.map((o) => [o.colour, o.shape])).toEqual([['purple', 'circle'], ['red', 'square']]);
    expect(scene.foreground.reduce((a, b) => a + b, 0)).toBe(scene.objects[0].area + scene.objects[1].area);
  });

  it('refuses pixel buffers that do not match the stated size', () => {
    expect(() => analyseScene({ data: new Uint8Array(10), width: 64, height: 64 })).toThrow(/Expected 64×64/);
  });
});
