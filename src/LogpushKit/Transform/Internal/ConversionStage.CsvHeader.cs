using System.Buffers;
using System.IO.Pipelines;
using LogpushKit.Datasets;

namespace LogpushKit.Transform;

/// <summary>
/// csv input without named columns: the header from the dataset catalog by the first row's cell count (issue 13). Runs
/// once per object, before the preamble, outside the row loop.
/// </summary>
internal sealed partial class ConversionStage
{
    /// <summary>
    /// With stable dataset columns and neither <see cref="TransformOptions.Fields"/> nor
    /// <see cref="TransformOptions.DatasetFields"/> (no Logpush job known), a csv object gets the header of the one catalog
    /// field set with as many fields as its first row has cells: among the named dataset's scope variants, or, detecting,
    /// among every dataset (which then becomes the object's dataset). None or several: no header, as before. Waits for the
    /// first row's LF (up to <see cref="TransformOptions.MaxLineBytes"/>) without consuming anything.
    /// </summary>
    private async ValueTask CsvHeaderByCellCountAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        if (_plan.Fields is not null || _plan.DatasetFields is not null || !_plan.DatasetColumns || (!_plan.DetectDataset && _plan.DatasetVariants.Count == 0))
        {
            return;
        }

        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var lf = buffer.PositionOf((byte)'\n');
            if (lf is null && !result.IsCompleted && buffer.Length <= _plan.MaxLineBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var row = lf is { } end ? buffer.Slice(0, end) : buffer;
            var cells = row.Length > _plan.MaxLineBytes ? 0 : CsvCells.Count(row.ToArray().AsSpan().TrimEnd((byte)'\r'));
            reader.AdvanceTo(buffer.Start);
            var match = cells == 0 ? null : LogpushDatasetResolver.MatchCellCount(_plan.Catalog, cells, _plan.DetectDataset ? null : _plan.DatasetVariants);
            if (match is not null)
            {
                _csvFields = [.. match.FieldNames];
                if (_plan.DetectDataset)
                {
                    Dataset = match.Name;
                    _timestampFields ??= new HashSet<string>(match.TimestampFields, StringComparer.Ordinal);
                }
            }

            return;
        }
    }
}
