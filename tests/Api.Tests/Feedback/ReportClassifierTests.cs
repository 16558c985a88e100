using EmailApi.Feedback;
using MimeKit;

namespace EmailApi.Tests.Feedback;

public sealed class ReportClassifierTests
{
    public static TheoryData<string, string, string?, string?, string?, BounceKind?> Dsns => new()
    {
        // sample, classification, recipient, status, reporting MTA, kind
        { nameof(ReportSamples.Postfix), "dsn", "nobody@example.org", "5.1.1", "relay.example.net", BounceKind.Hard },
        { nameof(ReportSamples.PostfixDelayed), "dsn", "slow@example.org", "4.4.1", "relay.example.net", BounceKind.Delayed },
        { nameof(ReportSamples.Exim), "dsn", "gone@example.org", "5.2.1", "mx.exim.example", BounceKind.Hard },
        { nameof(ReportSamples.Exchange), "dsn", "full@contoso.com", "5.2.2", "BN8PR04MB6211.namprd04.prod.outlook.com", BounceKind.Soft },
        { nameof(ReportSamples.Gmail), "dsn", "nobody@gmail.com", "5.1.1", "googlemail.com", BounceKind.Hard },
        { nameof(ReportSamples.GmailPolicy), "dsn", "someone@gmail.com", "5.7.26", "googlemail.com", BounceKind.Policy },
        { nameof(ReportSamples.PlainTextBounce), "plain-bounce", "ghost@old.example.org", "5.1.1", null, BounceKind.Hard },
        { nameof(ReportSamples.AutoReply), "auto-reply", null, null, null, null },
        { nameof(ReportSamples.Vacation), "auto-reply", null, null, null, null },
        { nameof(ReportSamples.Garbage), "unrecognised", null, null, null, null },
        { nameof(ReportSamples.BrokenReport), "unrecognised", null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Dsns))]
    public void Classify_RealShapedSample_GivesExpectedClassification(string sample, string classification, string? recipient, string? status, string? reportingMta, BounceKind? kind)
    {
        var raw = (string)typeof(ReportSamples).GetField(sample)!.GetValue(null)!;
        using var message = ReportSamples.Load(raw);

        var report = ReportClassifier.Classify(message, "b+token");

        Assert.Equal(classification, report.Classification);
        var reported = report switch
        {
            FeedbackReport.Dsn dsn => Assert.Single(dsn.Recipients),
            FeedbackReport.PlainBounce plain => plain.Recipient,
            _ => null,
        };
        Assert.Equal(recipient, reported?.Recipient);
        Assert.Equal(status, reported?.Status);
        Assert.Equal(kind, reported?.Kind);
        Assert.Equal(reportingMta, (report as FeedbackReport.Dsn)?.ReportingMta);
    }

    [Fact]
    public void Classify_PostfixDsn_KeepsRemoteMtaAndDiagnostic()
    {
        using var message = ReportSamples.Load(ReportSamples.Postfix);

        var dsn = Assert.IsType<FeedbackReport.Dsn>(ReportClassifier.Classify(message, "b+token"));

        var recipient = Assert.Single(dsn.Recipients);
        Assert.Equal("failed", recipient.Action);
        Assert.Equal("mx.example.org", recipient.RemoteMta);
        Assert.Equal("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown", recipient.Diagnostic);
    }

    [Fact]
    public void Classify_ArfFromFeedbackLoop_IsComplaintWithRecipientTypeAndProvider()
    {
        using var message = ReportSamples.Arf();

        var complaint = Assert.IsType<FeedbackReport.Complaint>(ReportClassifier.Classify(message, "b+token"));

        Assert.Equal("angry@isp.example", complaint.Recipient);
        Assert.Equal("abuse", complaint.FeedbackType);
        Assert.Equal("fbl.isp.example", complaint.Provider);
        Assert.Equal("ExampleFBL/1.0", complaint.UserAgent);
    }

    [Fact]
    public void Classify_MailToUnsubscribeAddress_IsUnsubscribeWithItsToken()
    {
        using var message = ReportSamples.Load("From: reader@example.org\nSubject: unsubscribe\n\nunsubscribe\n");

        var unsubscribe = Assert.IsType<FeedbackReport.Unsubscribe>(ReportClassifier.Classify(message, "Unsub+AbC123"));

        Assert.Equal("abc123", unsubscribe.Token);
    }

    [Fact]
    public void Classify_EmptyMessage_IsUnrecognised()
    {
        using var message = new MimeMessage();

        Assert.IsType<FeedbackReport.Unrecognised>(ReportClassifier.Classify(message, "b+token"));
    }

    [Theory]
    [InlineData("failed", "5.1.1", BounceKind.Hard)]
    [InlineData("failed", "5.1.10", BounceKind.Hard)]
    [InlineData("failed", "5.2.1", BounceKind.Hard)]
    [InlineData("failed", "5.2.2", BounceKind.Soft)]
    [InlineData("failed", "5.4.4", BounceKind.Hard)]
    [InlineData("failed", "5.4.7", BounceKind.Soft)]
    [InlineData("failed", "5.7.1", BounceKind.Policy)]
    [InlineData("failed", "5.0.0", BounceKind.Soft)]
    [InlineData("failed", "4.4.1", BounceKind.Soft)]
    [InlineData("delayed", "4.4.1", BounceKind.Delayed)]
    [InlineData("delivered", "2.0.0", BounceKind.Informational)]
    public void KindOf_ActionAndStatus_FollowsRfc3463Classes(string action, string status, BounceKind expected) =>
        Assert.Equal(expected, ReportClassifier.KindOf(action, status));
}
