using System.Net;

namespace EmailApi.Delivery;

/// <summary>
/// Sockets this process listens on (HTTP, SMTP submission, implicit TLS, …), registered by whoever
/// opened them and read when needed, since ports chosen at start (0) are known only then. The
/// relay never dials one of them: that would be mail looping back to itself.
/// </summary>
public sealed record OwnListener(string Name, Func<IEnumerable<IPEndPoint>> EndPoints);
