using EmailApi.Feedback;
using EmailApi.Queue;

namespace EmailApi.Tests.Feedback;

public sealed class VerpCodecTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly ReturnPathToken Sample = new(new MessageId(Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")), 42);

    [Fact]
    public void ReturnPath_RoundTrips_AndFitsTheLocalPartLimit()
    {
        var codec = new VerpCodec(Key);

        var address = codec.ReturnPath(Sample, "bounces.example.com");

        var local = address[..address.IndexOf('@')];
        Assert.True(local.Length <= 64, local);   // RFC 5321 §4.5.3.1.1
        Assert.EndsWith("@bounces.example.com", address);
        var token = VerpCodec.TokenOf(local, VerpCodec.BouncePrefix);
        Assert.Equal(new TokenCheck.Valid(Sample), codec.Decode(token!));
    }

    [Fact]
    public void Decode_UpperCasedByARemoteMta_StillValid()
    {
        var codec = new VerpCodec(Key);

        Assert.Equal(new TokenCheck.Valid(Sample), codec.Decode(codec.Encode(Sample).ToUpperInvariant()));
    }

    [Fact]
    public void Decode_OneCharacterChanged_IsForged()
    {
        var codec = new VerpCodec(Key);
        var token = codec.Encode(Sample).ToCharArray();
        // Change the recipient id's part, as someone aiming a report at another recipient would.
        token[35] = token[35] == 'a' ? 'b' : 'a';   // characters 26-38 carry bytes 16-23

        Assert.IsType<TokenCheck.Forged>(codec.Decode(new string(token)));
    }

    [Fact]
    public void Decode_TokenMadeWithAnotherKey_IsForged()
    {
        var other = new VerpCodec(Enumerable.Repeat((byte)7, 32).ToArray());

        Assert.IsType<TokenCheck.Forged>(new VerpCodec(Key).Decode(other.Encode(Sample)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("token")]
    [InlineData("0000000000000000000000000000000000000000000000000000000")]
    public void Decode_NotAToken_IsMalformed(string text) =>
        Assert.IsType<TokenCheck.Malformed>(new VerpCodec(Key).Decode(text));

    [Fact]
    public void Constructor_ShortKey_Throws() =>
        Assert.Throws<ArgumentException>(() => new VerpCodec(new byte[16]));
}
