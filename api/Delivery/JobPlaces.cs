namespace EmailApi.Delivery;

/// <summary>
/// How many delivery jobs a destination may have, and when it is full. A destination may have
/// twice as many jobs waiting for a connection slot as it has slots, so a slot that frees is used
/// at once, even while the next lease for it is being read. One lease gives a destination at most
/// as many jobs as it has slots, so a destination with fewer free job places than that is full:
/// the lease leaves its recipients in the queue and takes other destinations' (Postfix's qmgr,
/// KumoMTA's ready queues), so a stalled domain holds its own connection limit of the sender and
/// nothing more, and no lease takes more for a destination than it can start.
/// </summary>
internal static class JobPlaces
{
    public const int WaitingJobsPerSlot = 2;

    /// <summary>The jobs a destination with <paramref name="slots"/> connection slots may have: one per slot sending, the rest waiting.</summary>
    public static int Max(int slots) => slots * (1 + WaitingJobsPerSlot);

    /// <summary>Fewer free places than a lease's worth of jobs (<paramref name="slots"/>): the next lease leaves the destination out.</summary>
    public static bool Full(int jobs, int slots) => jobs > Max(slots) - slots;

    /// <summary>A job left and the destination, full before, has room for a lease's worth again: the moment to wake the lease loop.</summary>
    public static bool RoomAgain(int jobsLeft, int slots) => jobsLeft == Max(slots) - slots;
}
