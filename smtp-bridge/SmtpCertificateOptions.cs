namespace EmailApi.SmtpBridge;

/// <summary><c>Smtp:Certificate</c>: the TLS certificate for STARTTLS and implicit TLS.</summary>
public sealed class SmtpCertificateOptions
{
    /// <summary>A PFX/PKCS#12 file, or a PEM file with the certificate, then its intermediates (fullchain.pem), and its key unless <see cref="KeyPath"/> is set; the intermediates are sent with it. Unset: a self-signed certificate is generated once into the data folder.</summary>
    public string? Path { get; set; }

    /// <summary>Password of the PFX file or of an encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary>PEM private key in its own file.</summary>
    public string? KeyPath { get; set; }
}
