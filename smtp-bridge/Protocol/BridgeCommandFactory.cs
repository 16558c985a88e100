using System.Buffers.Text;
using System.Net;
using SmtpServer.Mail;
using SmtpServer.Protocol;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// The package's command factory with this bridge's EHLO/HELO replies, a check of AUTH's base64
/// argument (the package would drop the connection on bad base64), and no PROXY command: a client
/// must not be able to claim another source address and so pass as a trusted network.
/// </summary>
internal sealed class BridgeCommandFactory(BridgeSettings settings) : ISmtpCommandFactory
{
    private readonly SmtpCommandFactory _inner = new();

    public SmtpCommand CreateHelo(string domainOrAddress) => new BridgeHeloCommand(domainOrAddress, settings);

    public SmtpCommand CreateEhlo(string domainOrAddress) => new BridgeEhloCommand(domainOrAddress, settings);

    public SmtpCommand CreateMail(IMailbox address, IReadOnlyDictionary<string, string> parameters) => _inner.CreateMail(address, parameters);

    public SmtpCommand CreateRcpt(IMailbox address) => _inner.CreateRcpt(address);

    public SmtpCommand CreateData() => _inner.CreateData();

    public SmtpCommand CreateQuit() => _inner.CreateQuit();

    public SmtpCommand CreateNoop() => _inner.CreateNoop();

    public SmtpCommand CreateRset() => _inner.CreateRset();

    public SmtpCommand CreateStartTls() => _inner.CreateStartTls();

    public SmtpCommand CreateAuth(AuthenticationMethod method, string parameter)
    {
        // RFC 4954 §4: "=" is an empty initial response.
        if (parameter == "=") parameter = "";
        if (!string.IsNullOrEmpty(parameter) && !Base64.IsValid(parameter)) throw SmtpReply.InvalidBase64.Refusal();
        return _inner.CreateAuth(method, parameter);
    }

    public SmtpCommand CreateProxy(IPEndPoint? sourceEndpoint = null, IPEndPoint? destinationEndpoint = null) => throw SmtpReply.Unrecognized.Refusal();
}
