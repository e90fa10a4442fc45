namespace Anomaly.ED.Runtime;

/// <summary>
/// Guards a disposable owner used from many threads: any number of readers, one writer at a time, and a close that
/// waits for both. A call that was waiting when the owner was closed wakes to an <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class UsageGate(string ownerName)
{
    // Never disposed: a call that passed the closed check may still be waiting on it, and it must wake to an
    // ObjectDisposedException, not to a disposed lock.
    private readonly ReaderWriterLockSlim gate = new();
    private bool closed;

    /// <summary>Shared access until the returned hold is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The owner is closed.</exception>
    public Hold Read() => Enter(write: false);

    /// <summary>Exclusive access until the returned hold is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The owner is closed.</exception>
    public Hold Write() => Enter(write: true);

    /// <summary>Runs <paramref name="release"/> once, with exclusive access; later calls do nothing and later uses throw.</summary>
    public void Close(Action release)
    {
        if (closed)
        {
            return;
        }

        using (new Hold(gate, write: true))
        {
            if (!closed)
            {
                closed = true;
                release();
            }
        }
    }

    private Hold Enter(bool write)
    {
        ObjectDisposedException.ThrowIf(closed, ownerName);
        var hold = new Hold(gate, write);

        // Close may have run while this call waited for the lock.
        if (closed)
        {
            hold.Dispose();
            throw new ObjectDisposedException(ownerName);
        }

        return hold;
    }

    /// <summary>A read or write lock held until disposed.</summary>
    internal readonly struct Hold : IDisposable
    {
        private readonly ReaderWriterLockSlim gate;
        private readonly bool write;

        public Hold(ReaderWriterLockSlim gate, bool write)
        {
            this.gate = gate;
            this.write = write;
            if (write)
            {
                gate.EnterWriteLock();
            }
            else
            {
                gate.EnterReadLock();
            }
        }

        public void Dispose()
        {
            if (write)
            {
                gate.ExitWriteLock();
            }
            else
            {
                gate.ExitReadLock();
            }
        }
    }
}
