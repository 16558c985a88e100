using System.Text.Json;
using System.Text.Json.Serialization;

namespace EmailApi.Sending;

/// <summary>One address or an array of them, as JSON gives it.</summary>
[JsonConverter(typeof(AddressListConverter))]
public sealed class AddressList(IEnumerable<AddressInput> items) : List<AddressInput>(items);

public static class AddressListExtensions
{
    public static IEnumerable<AddressInput> OrEmpty(this AddressList? list) => list ?? Enumerable.Empty<AddressInput>();
}

internal sealed class AddressListConverter : JsonConverter<AddressList>
{
    private static readonly AddressInputConverter Item = new();

    public override AddressList Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            return new AddressList([Item.Read(ref reader, typeof(AddressInput), options)]);
        var items = new List<AddressInput>();
        // A null item is kept, so that validation names it ('to[0]') instead of the whole list.
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            items.Add(reader.TokenType == JsonTokenType.Null ? null! : Item.Read(ref reader, typeof(AddressInput), options));
        return new AddressList(items);
    }

    public override void Write(Utf8JsonWriter writer, AddressList value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var item in value) Item.Write(writer, item, options);
        writer.WriteEndArray();
    }
}
