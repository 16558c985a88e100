using System.Text.Json;
using System.Text.Json.Serialization;
using MimeKit;

namespace EmailApi.Sending;

/// <summary>An address as JSON gives it: <c>"Name &lt;a@b&gt;"</c>, <c>"a@b"</c> or <c>{"email": "a@b", "name": "Name"}</c>.</summary>
[JsonConverter(typeof(AddressInputConverter))]
public sealed record AddressInput(string Email, string? Name)
{
    /// <summary>Splits <c>"Name &lt;a@b&gt;"</c>; text that does not parse is kept whole so validation can name it.</summary>
    public static AddressInput FromText(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Contains('<') && MailboxAddress.TryParse(ParserOptions.Default, trimmed, out var mailbox))
            return new AddressInput(mailbox.Address, string.IsNullOrWhiteSpace(mailbox.Name) ? null : mailbox.Name);
        return new AddressInput(trimmed, null);
    }

    public override string ToString() => Name is null ? Email : $"{Name} <{Email}>";
}

internal sealed class AddressInputConverter : JsonConverter<AddressInput>
{
    public override AddressInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return AddressInput.FromText(reader.GetString()!);
            case JsonTokenType.StartObject:
                string? email = null, name = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    if (reader.TokenType != JsonTokenType.PropertyName) throw new JsonException("Expected a property name.");
                    var property = reader.GetString();
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                        throw new JsonException($"'{property}' must be a string.");
                    if (string.Equals(property, "email", StringComparison.OrdinalIgnoreCase)) email = reader.GetString();
                    else if (string.Equals(property, "name", StringComparison.OrdinalIgnoreCase)) name = reader.GetString();
                    else throw new JsonException($"Unknown address property '{property}'; use 'email' and 'name'.");
                }
                return new AddressInput(email ?? "", string.IsNullOrWhiteSpace(name) ? null : name);
            default:
                throw new JsonException("An address must be a string or an object {\"email\", \"name\"}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, AddressInput value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
