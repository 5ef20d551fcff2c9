/** Milliseconds (or any figure) to three decimals: the precision every report figure carries. */
export const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));
