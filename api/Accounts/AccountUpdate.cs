namespace EmailApi.Accounts;

public abstract record AccountUpdate
{
    private AccountUpdate() { }

    public sealed record Updated(Account Account) : AccountUpdate;

    public sealed record NotFound : AccountUpdate;

    public sealed record NameTaken : AccountUpdate;
}
