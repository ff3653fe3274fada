using System.Runtime.CompilerServices;
using LogpushKit.Testing;

namespace LogpushKit.Tests;

/// <summary>Before any test runs: this test process never reads or writes the user's conversion state database.</summary>
internal static class TestStateHomeInitializer
{
#pragma warning disable CA2255 // a test assembly, not a library: the isolation must hold before the first test
    [ModuleInitializer]
    internal static void Initialize() => TestStateHome.Isolate();
#pragma warning restore CA2255
}
