using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace LogpushKit.Transform;

/// <summary>
/// A write position in a <see cref="PipeWriter"/>'s current buffer: rows are written into <see cref="Reserve"/>d space and
/// the writer is advanced in large steps (<see cref="Commit"/> once per chunk), never per row.
/// </summary>
internal ref struct OutputCursor(PipeWriter writer)
{
    /// <summary>The least buffer asked of the writer at a time.</summary>
    private const int MinChunk = 16 * 1024;

    private Span<byte> _span;
    private int _position;

    /// <summary>Bytes committed to the writer so far.</summary>
    public long Written { get; private set; }

    /// <summary>At least <paramref name="size"/> bytes to write into, at the current position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Reserve(int size)
    {
        if (_span.Length - _position < size)
        {
            Grow(size);
        }

        return _span[_position..];
    }

    /// <summary>Keeps <paramref name="count"/> bytes written into the reserved space.</summary>
    public void Advance(int count) => _position += count;

    /// <summary>Writes <paramref name="bytes"/> at the current position.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (!bytes.IsEmpty)
        {
            bytes.CopyTo(Reserve(bytes.Length));
            _position += bytes.Length;
        }
    }

    /// <summary>Advances the writer past everything kept.</summary>
    public void Commit()
    {
        if (_position > 0)
        {
            writer.Advance(_position);
            Written += _position;
        }

        _position = 0;
        _span = default;
    }

    private void Grow(int size)
    {
        Commit();
        _span = writer.GetSpan(Math.Max(size, MinChunk));
    }
}
