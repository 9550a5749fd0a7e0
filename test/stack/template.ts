// Helpers for reading the packaged CloudFormation template.

// CloudFormation JSON is untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * A template value as one string, intrinsics written the Fn::Sub way: {Ref: X} is `${X}`,
 * {Fn::GetAtt: [X, Arn]} `${X.Arn}`, Fn::Join and Fn::Sub evaluated as far as they go.
 */
export function normalize(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return JSON.stringify(value.map(normalize));
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::GetAtt' in value) {
      const a = value['Fn::GetAtt'];
      return `\${${Array.isArray(a) ? a.join('.') : a}}`;
    }
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'];
      if (Array.isArray(parts)) return parts.map(normalize).join(sep);
    }
    if ('Fn::Sub' in value) {
      const sub = value['Fn::Sub'];
      if (typeof sub === 'string') return sub;
      const [text, vars] = sub as [string, Record<string, Json>];
      return text.replace(/\$\{([^}!]+)\}/g, (m, name: string) => (name in vars ? normalize(vars[name]) : m));
    }
  }
  return JSON.stringify(value);
}
