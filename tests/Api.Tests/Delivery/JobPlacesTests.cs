using EmailApi.Delivery;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// The rule that keeps a lease from taking more for a destination than it can start (one lease
/// gives a destination at most as many jobs as it has slots). Before, a destination counted as full
/// only with all its places taken, so a lease read while it had a few free took a whole lease's
/// worth and put the rest back for a second; a pre-filled queue to one domain went out with a
/// one-second gap every few leases (scripts/bench/delivery.sh: 1,900 msg/s instead of 6,700).
/// </summary>
public sealed class JobPlacesTests
{
    public static TheoryData<int> SlotCounts => [1, 2, 3, 20, 100];

    [Theory]
    [MemberData(nameof(SlotCounts))]
    public void ADestinationThatIsNotFull_HasRoomForAWholeLeaseOfJobs(int slots)
    {
        for (var jobs = 0; jobs <= JobPlaces.Max(slots); jobs++)
            if (!JobPlaces.Full(jobs, slots))
                Assert.True(jobs + slots <= JobPlaces.Max(slots), $"{jobs} jobs of {JobPlaces.Max(slots)} with {slots} slots: not full, but no room for {slots} more");
    }

    [Theory]
    [MemberData(nameof(SlotCounts))]
    public void AFullDestination_StillKeepsItsSlotsBusyWithJobsWaiting_AndWakesTheLeaseWhenRoomComesBack(int slots)
    {
        var firstFull = Enumerable.Range(0, JobPlaces.Max(slots) + 1).First(jobs => JobPlaces.Full(jobs, slots));

        Assert.True(firstFull - slots >= slots, "a full destination has as many jobs waiting as it has slots, so they stay busy while the next lease is read");
        // The loop is woken exactly when a job leaving turns a full destination into one with room.
        var wakes = Enumerable.Range(0, JobPlaces.Max(slots)).Where(left => JobPlaces.RoomAgain(left, slots)).ToArray();
        Assert.Equal([firstFull - 1], wakes);
    }
}
