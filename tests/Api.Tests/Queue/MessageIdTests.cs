using EmailApi.Queue;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

/// <summary>
/// Message ids must sort in the order they were made, in the order the stores compare them: the
/// lowercase text form, byte by byte (SQLite TEXT with its BINARY collation, PostgreSQL TEXT
/// COLLATE "C"), which is also the big-endian byte order of the UUID.
/// </summary>
public sealed class MessageIdTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static void AssertStrictlyIncreasing(IReadOnlyList<MessageId> ids)
    {
        for (var i = 1; i < ids.Count; i++)
        {
            Assert.True(string.CompareOrdinal(ids[i - 1].ToString(), ids[i].ToString()) < 0, $"id {i} ({ids[i]}) does not sort after {ids[i - 1]} as text");
            Assert.True(ids[i - 1].Value.ToByteArray(bigEndian: true).AsSpan().SequenceCompareTo(ids[i].Value.ToByteArray(bigEndian: true)) < 0,
                $"id {i} ({ids[i]}) does not sort after {ids[i - 1]} as big-endian bytes");
        }
    }

    private static long MillisecondOf(MessageId id) => Convert.ToInt64(id.Value.ToString("N")[..12], 16);

    [Fact]
    public void New_TenThousandInATightLoop_StrictlyIncrease()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => MessageId.New(TimeProvider.System)).ToArray();

        AssertStrictlyIncreasing(ids);
    }

    [Fact]
    public void New_TenThousandWithTheClockStandingStill_StrictlyIncrease_AllInThatMillisecond()
    {
        var clock = new FakeTimeProvider(Start);

        var ids = Enumerable.Range(0, 10_000).Select(_ => MessageId.New(clock)).ToArray();

        AssertStrictlyIncreasing(ids);
        Assert.All(ids, id => Assert.Equal(Start.ToUnixTimeMilliseconds(), MillisecondOf(id)));
        Assert.All(ids, id => Assert.Equal(7, id.Value.Version));
        Assert.All(ids, id => Assert.Equal(0b10, id.Value.Variant >> 2));
        Assert.Equal(10_000, ids.Select(id => id.ToString()[24..]).Distinct().Count());   // the random tail differs too
    }

    [Fact]
    public async Task New_FromEightThreadsAtOnce_AllDistinct_AndEachThreadsIdsStrictlyIncrease()
    {
        var clock = new FakeTimeProvider(Start);
        using var start = new Barrier(8);
        var perThread = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            var ids = new MessageId[1_250];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = MessageId.New(clock);
                if (t == 0 && i % 250 == 0) clock.Advance(TimeSpan.FromTicks(3_000));   // the millisecond turns over while others take ids
            }
            return ids;
        })));

        Assert.Equal(10_000, perThread.SelectMany(ids => ids).Distinct().Count());
        Assert.All(perThread, AssertStrictlyIncreasing);
    }

    [Fact]
    public void New_WhenTheClockStepsBack_KeepsIncreasing_AndItsTimeNeverGoesBack()
    {
        var clock = new SteppingClock(Start);
        var before = Enumerable.Range(0, 100).Select(_ => MessageId.New(clock)).ToArray();

        clock.Now = Start.AddHours(-1);
        var during = Enumerable.Range(0, 100).Select(_ => MessageId.New(clock)).ToArray();
        clock.Now = Start.AddSeconds(1);
        var after = MessageId.New(clock);

        AssertStrictlyIncreasing([.. before, .. during, after]);
        Assert.All(during, id => Assert.Equal(Start.ToUnixTimeMilliseconds(), MillisecondOf(id)));
        Assert.Equal(Start.AddSeconds(1).ToUnixTimeMilliseconds(), MillisecondOf(after));
    }

    [Fact]
    public void New_TimeBoundsOfTheMessageLog_StillHoldForItsMillisecond()
    {
        var clock = new FakeTimeProvider(Start);

        var ids = Enumerable.Range(0, 1_000).Select(_ => MessageId.New(clock).ToString()).ToArray();

        Assert.All(ids, id => Assert.True(string.CompareOrdinal(MessageId.FirstTextAt(Start), id) <= 0));
        Assert.All(ids, id => Assert.True(string.CompareOrdinal(id, MessageId.FirstTextAt(Start.AddMilliseconds(1))) < 0));
    }

    [Fact]
    public void New_StoredAsTextInSqlite_ComesBackInCreationOrder()
    {
        var clock = new FakeTimeProvider(Start);
        var ids = Enumerable.Range(0, 2_000).Select(_ => MessageId.New(clock).ToString()).ToArray();
        using var db = new SqliteConnection("Data Source=:memory:");
        db.Open();
        using (var create = db.CreateCommand())
        {
            create.CommandText = "CREATE TABLE m (id TEXT PRIMARY KEY)";
            create.ExecuteNonQuery();
        }
        foreach (var id in ids.OrderBy(_ => Random.Shared.Next()))
        {
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO m (id) VALUES ($id)";
            insert.Parameters.AddWithValue("$id", id);
            insert.ExecuteNonQuery();
        }

        using var select = db.CreateCommand();
        select.CommandText = "SELECT id FROM m ORDER BY id";
        using var reader = select.ExecuteReader();
        var stored = new List<string>();
        while (reader.Read()) stored.Add(reader.GetString(0));

        Assert.Equal(ids, stored);
    }
}
