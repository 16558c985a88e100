using System.Threading.Channels;

namespace EmailApi.Queue;

/// <summary>
/// What the queue's two group commits share (the intake's, <see cref="QueueWriter"/>, and the
/// delivery results', <see cref="ResultWriter"/>): callers hand their work to one loop through an
/// unbounded queue and wait for its answer. Not a BackgroundService: one stopped right after it
/// started never runs its loop at all, and work already handed to it would wait for ever. This
/// loop always runs, and stops only once everything taken before the stop has its answer.
/// </summary>
public abstract class GroupCommitLoop<T> : IHostedService
{
    private readonly Channel<T> _pending = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private Task _running = Task.CompletedTask;

    /// <summary>The work handed in, for the loop; completed once the loop is stopping.</summary>
    protected ChannelReader<T> Submitted => _pending.Reader;

    /// <summary>Hands work to the loop; throws <see cref="QueueUnavailableException"/> once it is stopping.</summary>
    protected void Submit(T item)
    {
        if (!_pending.Writer.TryWrite(item))
            throw new QueueUnavailableException("The queue is shutting down.");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _running = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await _running.WaitAsync(cancellationToken);
    }

    /// <summary>Takes work from <see cref="Submitted"/> until it is completed and drained, answering all of it.</summary>
    protected abstract Task RunAsync();
}
