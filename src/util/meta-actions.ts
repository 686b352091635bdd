// Satori's Chain-of-Action-Thought meta-action tokens, named once for the parts that write them
// (the format-tuning demos in tasks/), add them to a vocabulary (model/added-tokens.ts) and read
// them back in completions (rl/coat.ts).
export const CONTINUE = '<|continue|>';
export const REFLECT = '<|reflect|>';
export const EXPLORE = '<|explore|>';
export const META_ACTIONS = [CONTINUE, REFLECT, EXPLORE] as const;
export type MetaAction = (typeof META_ACTIONS)[number];
