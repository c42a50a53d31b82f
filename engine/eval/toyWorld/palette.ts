/**
 * The toy world's vocabulary, as `models/toy-shapes/toyworld.py` draws it. The evaluator
 * judges generated images against these exact colours; a test keeps the two in step.
 */
export const TOY_COLOURS = {
  red: [220, 30, 30],
  orange: [245, 135, 20],
  yellow: [245, 220, 40],
  green: [40, 165, 60],
  cyan: [40, 200, 215],
  blue: [30, 70, 215],
  purple: [130, 50, 175],
  pink: [245, 130, 190],
  brown: [125, 80, 40],
  white: [245, 245, 245],
  gray: [128, 128, 128],
  black: [25, 25, 25],
} as const satisfies Record<string, readonly [number, number, number]>;

export type ToyColour = keyof typeof TOY_COLOURS;
export const TOY_COLOUR_NAMES = Object.keys(TOY_COLOURS) as ToyColour[];

export const TOY_SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;
export type ToyShape = (typeof TOY_SHAPES)[number];

export const TOY_RESOLUTION = 64;
