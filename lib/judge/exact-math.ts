// Correctly rounded exp and log (barring ties). V8's Math.exp and Math.log may be one ulp
// off, which moves the normal quantile z and, through Brent's path, the confidence interval.
// Both are computed in double-double arithmetic (~100 bits) and rounded once.

type DD = [hi: number, lo: number];

const SPLITTER = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}

function split(a: number): DD {
  const c = SPLITTER * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function add(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  const [t, f] = twoSum(a[1], b[1]);
  const [s2, e2] = quickTwoSum(s, e + t);
  return quickTwoSum(s2, e2 + f);
}

function mul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return quickTwoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}

function mulNumber(a: DD, b: number): DD {
  const [p, e] = twoProd(a[0], b);
  return quickTwoSum(p, e + a[1] * b);
}

const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];
// 1/k! for k = 0..14 as double-doubles
const INV_FACT: DD[] = (() => {
  const out: DD[] = [[1, 0]];
  let f: DD = [1, 0];
  for (let k = 1; k <= 14; k++) {
    // f / k, refined once
    const q = f[0] / k;
    const r = add(f, mulNumber([q, 0], -k));
    f = quickTwoSum(q, r[0] / k);
    out.push(f);
  }
  return out;
})();

function expDD(x: number): DD {
  const k = Math.round(x / LN2[0]);
  const r = add([x, 0], mulNumber(LN2, -k));
  const s: DD = [r[0] / 512, r[1] / 512];
  let sum: DD = INV_FACT[14];
  for (let i = 13; i >= 0; i--) sum = add(mul(sum, s), INV_FACT[i]);
  for (let i = 0; i < 9; i++) sum = mul(sum, sum);
  // scale by 2^k in two steps to stay clear of overflow in the factor
  const h = Math.trunc(k / 2);
  const f1 = 2 ** h;
  const f2 = 2 ** (k - h);
  return [sum[0] * f1 * f2, sum[1] * f1 * f2];
}

export function exp(x: number): number {
  if (!Number.isFinite(x)) return Math.exp(x);
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  if (x < -708) return Math.exp(x); // subnormal results: double-double gains nothing
  const [hi, lo] = expDD(x);
  return hi + lo;
}

export function log(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x);
  if (x < 2.2250738585072014e-308) return Math.log(x);
  if (x === 1) return 0;
  const y0 = Math.log(x);
  // One Newton step on exp(y) = x in double-double: y = y0 + (x − e^y0)/e^y0.
  const e = expDD(y0);
  const diff = add([x, 0], [-e[0], -e[1]]);
  const [hi, lo] = twoSum(y0, diff[0] / e[0]);
  return hi + lo;
}
