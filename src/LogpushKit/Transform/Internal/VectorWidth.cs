using System.Runtime.Intrinsics;

namespace LogpushKit.Transform;

/// <summary>
/// The vector width of the hot loops, as a type: generic code specialised for <see cref="Vector256Width"/> or
/// <see cref="Vector128Width"/> is compiled once per width, and <see cref="Is256"/> is a constant in each, so neither
/// carries the other's code or a branch between them. The stage picks the width once per line or span
/// (<see cref="TransformPlan.Vector256"/>: 256 bits only where <see cref="Vector256.IsHardwareAccelerated"/>).
/// </summary>
internal interface IVectorWidth
{
    /// <summary>Compare 32 bytes at a time (else 16).</summary>
    static abstract bool Is256 { get; }
}

/// <summary>256-bit vectors (AVX2 and wider).</summary>
internal readonly struct Vector256Width : IVectorWidth
{
    public static bool Is256 => true;
}

/// <summary>128-bit vectors (SSE2, AdvSimd), where 256-bit ones are not accelerated.</summary>
internal readonly struct Vector128Width : IVectorWidth
{
    public static bool Is256 => false;
}
