namespace EmailApi.Accounts;

/// <summary>A field of a partial update: absent, or present with a value that may itself be null ("unlimited").</summary>
public readonly record struct Optional<T>(bool HasValue, T Value)
{
    public static Optional<T> None => default;

    public static Optional<T> Of(T value) => new(true, value);

    public T Or(T fallback) => HasValue ? Value : fallback;
}
