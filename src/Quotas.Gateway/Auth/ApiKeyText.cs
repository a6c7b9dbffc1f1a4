using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Quotas.Gateway.Auth;

/// <summary>
/// The text of a tenant API key: <c>qk_</c>, a 16-hex-digit public key id, <c>_</c>, and a 256-bit random secret in
/// base64url. The key id names the grain that holds the key; only the SHA-256 of the secret is stored.
/// </summary>
internal static class ApiKeyText
{
    private const string Prefix = "qk_";
    private const int KeyIdLength = 16;

    public static (string KeyId, string Secret, string Text) NewKey()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyIdLength / 2));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (keyId, secret, $"{Prefix}{keyId}_{secret}");
    }

    public static bool TryParse(string text, out string keyId, out string secret)
    {
        keyId = secret = "";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length < Prefix.Length + KeyIdLength + 2 || text[Prefix.Length + KeyIdLength] != '_')
        {
            return false;
        }

        keyId = text.Substring(Prefix.Length, KeyIdLength);
        secret = text[(Prefix.Length + KeyIdLength + 1)..];
        return IsKeyId(keyId) && secret.Length <= 64;
    }

    public static bool IsKeyId(string keyId) => keyId.Length == KeyIdLength && keyId.All(char.IsAsciiHexDigitLower);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
