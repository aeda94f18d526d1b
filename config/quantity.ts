/**
 * Kubernetes resource quantities ("250m", "1.5", "512Mi", "2G"), parsed so that config can be checked before a
 * cluster ever sees it: a typo such as "512MB" or "1,5" fails in validation instead of at `kubectl apply`.
 */

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

// The grammar of k8s.io/apimachinery's resource.Quantity: a signed decimal number, then a binary-SI suffix,
// a decimal-SI suffix, or a decimal exponent (e3, E-2).
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** The value of a Kubernetes quantity in base units (cores, bytes), or undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match || text.trim() !== text) return undefined;
  const [, number, suffix = ""] = match;
  const value = Number(number);
  if (suffix in BINARY_SUFFIXES) return value * BINARY_SUFFIXES[suffix];
  if (suffix in DECIMAL_SUFFIXES) return value * DECIMAL_SUFFIXES[suffix];
  return value * 10 ** Number(suffix.slice(1));
}

/** True for a positive CPU quantity ("100m", "1.5", "2"). */
export function isCpuQuantity(text: string): boolean {
  const value = parseQuantity(text);
  // Kubernetes rounds CPU to millicores; anything below 1m would become 0.
  return value !== undefined && value >= 0.001;
}

/** True for a positive memory or storage quantity; bare numbers are bytes, so "128" is allowed but unusual. */
export function isByteQuantity(text: string): boolean {
  const value = parseQuantity(text);
  return value !== undefined && value >= 1 && !/[num]$/.test(text);
}
