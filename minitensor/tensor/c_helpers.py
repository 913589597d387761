"""The C functions that elementwise ops' C expressions call where C and NumPy differ.

An elementwise op's ``c_expr`` is one C expression. Most are C's own operators and
math functions; these are not, because C would compute something else than NumPy:

* ``//`` and ``%``: C truncates towards zero and divides integers by zero
  undefinedly; NumPy rounds towards minus infinity, gives 0 for an integer division
  by zero, and computes a float ``//`` exactly (``1.0 // 0.1`` is 9, not
  ``floor(1.0 / 0.1)`` = 10);
* ``**`` of integers: C has no integer power, and CUDA's ``pow`` is ambiguous on
  integers; a negative exponent gives 0 (or +-1 for a base of +-1): NumPy raises
  instead, which a kernel cannot do;
* casts of floats to integers: C leaves NaN, infinities and values out of range
  undefined; these give what NumPy gives on x86-64 (the smallest int32 or int64,
  and narrower integers wrap from int32), except that NumPy's own result for NaN and
  infinity cast to uint32 or uint64 depends on its SIMD path (docs/differences.md).

* special functions C lacks: ``polygamma`` (psi and its derivatives, everywhere), and on
  the host the ones CUDA has and C++ does not (``erfinv``, ``erfcinv``, ``i0``, ``i1``),
  with the algorithms of ``special.py`` and ``bessel.py``; ``j0`` and ``j1`` are glibc's.

``PREAMBLE`` is compiled before every generated kernel: by NVRTC for CUDA, and by the
host's C++ compiler in the CuPy stand-in, which defines ``__device__`` away.

The C types of NumPy's dtypes are CuPy's names for them (``C_TYPES``); CuPy's
``float16`` is a class that computes in float, so the kernels compute float16 ops
in float and round each result, as NumPy's half loops do.
"""

C_TYPES = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
           "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
           "uint64": "unsigned long long", "float16": "float16", "float32": "float", "float64": "double"}

PREAMBLE = r"""
// minitensor: where C differs from NumPy (minitensor/tensor/c_helpers.py).
#if defined(__CUDACC_RTC__) || defined(__CUDACC__)
#include <cupy/float16.cuh>
#endif
template <typename T> __device__ inline T minitensor_floor_divide(T a, T b) {
  if (b == 0) return 0;
  if ((T) -1 < 0 && b == (T) -1) return (T) (0ULL - (unsigned long long) a);  // wraps as NumPy's
  T q = a / b;
  return ((a % b != 0) && ((a < 0) != (b < 0))) ? (T) (q - 1) : q;
}
template <typename T> __device__ inline T minitensor_remainder(T a, T b) {
  if (b == 0 || ((T) -1 < 0 && b == (T) -1)) return 0;
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? (T) (r + b) : r;
}
template <typename T> __device__ inline T minitensor_floor_divide_float(T a, T b) {
  if (b == 0) return a / b;
  T mod = fmod(a, b);
  T div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
  if (div == 0) return copysign((T) 0, a / b);
  T floored = floor(div);
  return (div - floored > (T) 0.5) ? floored + 1 : floored;
}
template <typename T> __device__ inline T minitensor_remainder_float(T a, T b) {
  T mod = fmod(a, b);
  if (b == 0) return mod;
  if (mod == 0) return copysign((T) 0, b);
  return ((b < 0) != (mod < 0)) ? mod + b : mod;
}
template <typename T> __device__ inline T minitensor_power_int(T base, T exponent) {
  if (exponent < 0) return base == 1 ? 1 : (base == (T) -1 ? ((exponent & 1) ? base : 1) : 0);
  T result = 1;
  while (exponent) {
    if (exponent & 1) result = (T) (result * base);
    base = (T) (base * base);
    exponent >>= 1;
  }
  return result;
}
__device__ inline long long minitensor_double_to_int64(double v) {
  return (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? (long long) v
                                                                   : (long long) (-9223372036854775807LL - 1);
}
__device__ inline int minitensor_double_to_int32(double v) {
  return (v > -2147483649.0 && v < 2147483648.0) ? (int) v : (int) (-2147483647 - 1);
}
template <typename T> __device__ inline T minitensor_from_double(double v) { return (T) v; }
template <> __device__ inline bool minitensor_from_double<bool>(double v) { return v != 0; }
template <> __device__ inline signed char minitensor_from_double<signed char>(double v) {
  return (signed char) minitensor_double_to_int32(v); }
template <> __device__ inline short minitensor_from_double<short>(double v) {
  return (short) minitensor_double_to_int32(v); }
template <> __device__ inline int minitensor_from_double<int>(double v) { return minitensor_double_to_int32(v); }
template <> __device__ inline long long minitensor_from_double<long long>(double v) {
  return minitensor_double_to_int64(v); }
template <> __device__ inline unsigned char minitensor_from_double<unsigned char>(double v) {
  return (unsigned char) minitensor_double_to_int32(v); }
template <> __device__ inline unsigned short minitensor_from_double<unsigned short>(double v) {
  return (unsigned short) minitensor_double_to_int32(v); }
template <> __device__ inline unsigned int minitensor_from_double<unsigned int>(double v) {
  return (unsigned int) minitensor_double_to_int64(v); }
template <> __device__ inline unsigned long long minitensor_from_double<unsigned long long>(double v) {
  return (v >= 0 && v < 18446744073709551616.0) ? (unsigned long long) v
                                                : (unsigned long long) minitensor_double_to_int64(v); }
template <typename S> struct minitensor_is_float { enum { value = 0 }; };
template <> struct minitensor_is_float<float> { enum { value = 1 }; };
template <> struct minitensor_is_float<double> { enum { value = 1 }; };
template <typename T, typename S> __device__ inline T minitensor_cast(S v) {
  return minitensor_is_float<S>::value ? minitensor_from_double<T>((double) v) : (T) v;
}
// Special functions (minitensor/tensor/special.py and bessel.py say how and why). polygamma
// leaves out special.py's Taylor series about psi's positive root, 1.4616...: there psi is
// accurate to 1e-16 absolutely, not relatively.
__device__ inline double minitensor_polygamma(int n, double x) {
  const double bernoulli[10] = {1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6,
                                -3617.0 / 510, 43867.0 / 798, -174611.0 / 330};
  if (x <= 0 && floor(x) == x) {  // a pole; NVRTC has no INFINITY and NAN macros
    double inf = __int_as_float(0x7f800000), nan = __int_as_float(0x7fc00000);
    if (n == 0) return x == 0 ? (copysign(1.0, x) < 0 ? inf : -inf) : nan;
    return n % 2 ? inf : nan;
  }
  double factorial = 1, sign = n % 2 ? 1 : -1;  // n! and (-1)^(n+1)
  for (int k = 2; k <= n; k++) factorial *= k;
  double y = x < 0 ? 1 - x : x, total = 0;
  for (; y < 12 + n; y += 1) total += sign * factorial / pow(y, (double) (n + 1));
  double inverse = 1 / y, series;
  if (n == 0) {
    series = log(y) - 0.5 * inverse;
    for (int k = 1; k <= 10; k++) series -= bernoulli[k - 1] / (2 * k) * pow(inverse, (double) (2 * k));
  } else {
    series = factorial / n * pow(inverse, (double) n) + factorial / 2 * pow(inverse, (double) (n + 1));
    double c = factorial * (n + 1) / 2;  // (2k + n - 1)! / (2k)! for k = 1
    for (int k = 1; k <= 10; k++) {
      if (k > 1) c *= (double) (2 * k + n - 1) * (2 * k + n - 2) / ((2 * k) * (2 * k - 1));
      series += bernoulli[k - 1] * c * pow(inverse, (double) (2 * k + n));
    }
    series *= sign;
  }
  double value = series + total;
  if (x >= 0) return value;
  // Reflection: psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)), where
  // P_0(c) = c and P_(k+1)(c) = -(1 + c^2) P_k'(c) (coefficients lowest first; n < 38).
  const double pi = 3.141592653589793;
  double r = x - rint(x), cot = sin(pi * (0.5 - fabs(r))) / sin(pi * r);
  double p[40] = {0, 1}, q[40];
  for (int k = 0; k < n; k++) {
    for (int j = 0; j <= k + 2; j++) q[j] = 0;
    for (int j = 1; j <= k + 1; j++) { q[j - 1] -= j * p[j]; q[j + 1] -= j * p[j]; }
    for (int j = 0; j <= k + 2; j++) p[j] = q[j];
  }
  double polynomial = 0;
  for (int j = n + 1; j >= 0; j--) polynomial = polynomial * cot + p[j];
  return (n % 2 ? -value : value) - pow(pi, (double) (n + 1)) * polynomial;
}
#if defined(__CUDACC_RTC__) || defined(__CUDACC__)
__device__ inline double minitensor_j0(double x) { return j0(x); }
__device__ inline float minitensor_j0(float x) { return j0f(x); }
__device__ inline double minitensor_j1(double x) { return j1(x); }
__device__ inline float minitensor_j1(float x) { return j1f(x); }
__device__ inline double minitensor_i0(double x) { return cyl_bessel_i0(x); }
__device__ inline float minitensor_i0(float x) { return cyl_bessel_i0f(x); }
__device__ inline double minitensor_i1(double x) { return cyl_bessel_i1(x); }
__device__ inline float minitensor_i1(float x) { return cyl_bessel_i1f(x); }
__device__ inline double minitensor_erfinv(double x) { return erfinv(x); }
__device__ inline float minitensor_erfinv(float x) { return erfinvf(x); }
__device__ inline double minitensor_erfcinv(double x) { return erfcinv(x); }
__device__ inline float minitensor_erfcinv(float x) { return erfcinvf(x); }
#else
__device__ inline double minitensor_j0(double x) { return __builtin_j0(x); }
__device__ inline float minitensor_j0(float x) { return (float) __builtin_j0(x); }
__device__ inline double minitensor_j1(double x) { return __builtin_j1(x); }
__device__ inline float minitensor_j1(float x) { return (float) __builtin_j1(x); }
__device__ inline double minitensor_bessel_i(int order, double x) {
  double a = fabs(x), value;
  if (a <= 30) {
    double term = order ? a / 2 : 1, quarter_square = a * a / 4;
    value = term;
    for (int k = 1; k < 80; k++) { term *= quarter_square / (k * (k + order)); value += term; }
  } else if (isinf(a)) {
    value = INFINITY;
  } else {
    double mu = 4 * order * order, term = 1, total = 1;
    for (int k = 1; k <= 30; k++) { term *= -(mu - (2 * k - 1) * (2 * k - 1)) / (k * 8 * a); total += term; }
    double half = exp(a / 2);
    value = half * (half / sqrt(2 * 3.141592653589793 * a) * total);
  }
  return order && x < 0 ? -value : value;
}
__device__ inline double minitensor_i0(double x) { return minitensor_bessel_i(0, x); }
__device__ inline float minitensor_i0(float x) { return (float) minitensor_bessel_i(0, x); }
__device__ inline double minitensor_i1(double x) { return minitensor_bessel_i(1, x); }
__device__ inline float minitensor_i1(float x) { return (float) minitensor_bessel_i(1, x); }
__device__ inline double minitensor_inverse_erf(double magnitude, double q, double sign) {
  // erfinv's method in special.py: Giles' start, then Halley on erf or Newton on log(erfc / q)
  if (!(q >= 0 && q <= 1)) return NAN;
  if (q == 0) return sign * INFINITY;
  const double central_c[9] = {2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                               -0.00125372503, -0.00417768164, 0.246640727, 1.50140941};
  const double tail_c[9] = {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                            -0.0076224613, 0.00943887047, 1.00167406, 2.83297682};
  double w = -log(q * (2 - q)), a;
  if (w < 16) {
    bool central = w < 5;
    double v = central ? w - 2.5 : sqrt(w) - 3, p = 0;
    for (int k = 0; k < 9; k++) p = p * v + (central ? central_c[k] : tail_c[k]);
    a = p * (1 - q);
  } else {
    double log_q = -log(q);
    a = sqrt(log_q - log(sqrt(3.141592653589793) * sqrt(log_q)));
  }
  for (int step = 0; step < 4; step++) {
    double slope = 1.1283791670955126 * exp(-a * a);
    if (q >= 0.5) {
      double t = (erf(a) - magnitude) / slope;
      a -= t / (1 + a * t);
    } else {
      double e = erfc(a), ratio = slope <= 1e-300 ? 0.5 / a : e / slope;
      a += log((e > 0 ? e : q) / q) * ratio;
    }
  }
  return sign * a;
}
__device__ inline double minitensor_erfinv(double y) {
  return minitensor_inverse_erf(fabs(y), 1 - fabs(y), y < 0 ? -1 : 1);
}
__device__ inline float minitensor_erfinv(float y) { return (float) minitensor_erfinv((double) y); }
__device__ inline double minitensor_erfcinv(double c) {
  if (!(c >= 0 && c <= 2)) return NAN;
  return minitensor_inverse_erf(fabs(1 - c), c > 1 ? 2 - c : c, c > 1 ? -1 : 1);
}
__device__ inline float minitensor_erfcinv(float c) { return (float) minitensor_erfcinv((double) c); }
#endif
"""
