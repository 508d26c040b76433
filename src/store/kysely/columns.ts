// How entities' fields become columns, the same on both dialects: flags are
// 0/1 integers and lists are JSON text (see schema.ts).
export const flag = (value: boolean): number => (value ? 1 : 0);
export const json = (value: string[]): string => JSON.stringify(value);
export const list = (value: string): string[] => JSON.parse(value) as string[];
