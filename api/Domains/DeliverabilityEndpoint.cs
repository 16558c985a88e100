using EmailApi.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Domains;

public static class DeliverabilityEndpoint
{
    public static RouteGroupBuilder MapDeliverability(this RouteGroupBuilder v1)
    {
        v1.MapGet("/deliverability", HandleAsync).WithTags("Domains").WithName("GetDeliverability")
            .WithSummary("Check the relay's HELO name: fully qualified, resolving to Delivery:PublicAddresses, and each address's PTR pointing back (FCrDNS)")
            .WithDescription("Lists the DNS answers seen (A/AAAA of the HELO name, PTR of each public address and the addresses of each PTR name) and the problems found.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        return v1;
    }

    internal static async Task<Ok<DeliverabilityReport>> HandleAsync(HeloCheck check, CancellationToken ct) =>
        TypedResults.Ok(await check.RunAsync(ct));
}
