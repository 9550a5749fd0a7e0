// The judges' names, without the judges: for code that must know a name but not run a judge
// (the config API's checks, the fetch task), so that its bundle does not carry both judges.
export const KAYENTA_JUDGE = 'NetflixACAJudge-v1.0';
export const CANARIA_V1_JUDGE = 'canaria-v1';
export const JUDGE_NAMES = [KAYENTA_JUDGE, CANARIA_V1_JUDGE] as const;
export type JudgeName = (typeof JUDGE_NAMES)[number];
export const DEFAULT_JUDGE: JudgeName = KAYENTA_JUDGE;
export const isJudgeName = (name: string): name is JudgeName => (JUDGE_NAMES as readonly string[]).includes(name);
