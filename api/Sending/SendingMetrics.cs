using System.Diagnostics.Metrics;
using EmailApi.Queue;

namespace EmailApi.Sending;

/// <summary>
/// The submission service's instrument (meter <c>EmailApi.Sending</c>): how long a send took from
/// the checks to the durable commit, by door (<c>api</c>, <c>smtp</c>) and result. Over HTTP this
/// is the part of <c>http.server.request.duration</c> spent behind the endpoint.
/// </summary>
public sealed class SendingMetrics
{
    public const string MeterName = "EmailApi.Sending";

    private static readonly IReadOnlyList<double> Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _duration;

    public SendingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram("emailapi.send.duration", "s",
            "Time from a submission's arrival at the submission service to its answer (the durable commit included), by door and result.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
    }

    public void Answered(MessageSource source, BatchSubmitted answer, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new("source", source.ToDb()), new("result", Result(answer)));

    private static string Result(BatchSubmitted answer) => answer switch
    {
        BatchSubmitted.Completed c when c.Items.Any(i => i is Submitted.Accepted) => "accepted",
        BatchSubmitted.Completed => "rejected",
        BatchSubmitted.Replayed => "replayed",
        BatchSubmitted.KeyReused => "key_reused",
        BatchSubmitted.Unavailable => "unavailable",
        var other => throw new System.Diagnostics.UnreachableException(other.ToString()),
    };
}
