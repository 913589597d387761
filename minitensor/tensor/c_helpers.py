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
"""
