package dev.tandem.proxy.http;

import dev.tandem.conf.UpstreamConfig;
import io.netty.util.concurrent.EventExecutor;

/**
 * The two timers of one client connection (or HTTP/2 stream), which say who owes the next move. The client
 * timer runs while the client owes us bytes (the next request, the rest of a body) or must make room for the
 * response; the upstream timer runs while the server owes us the response (read timeout) or room for the
 * request body (write timeout). Neither runs while the other side is the one holding things up, so a slow
 * client never counts against a server. Kept apart from the handlers that move them so that the rule of who
 * is waited for lives in one place ({@link #update}).
 */
final class ExchangeTimers {

    /** What the upstream timer's expiry is told: which of its waits ran out. */
    interface UpstreamExpiry {
        void expired(boolean writing);
    }

    /** What the client timer is waiting for. */
    private enum ClientWait { NONE, NEXT_REQUEST, CLIENT }

    /** What the upstream timer is waiting for. */
    private enum UpstreamWait { NONE, READ, WRITE }

    private final DeadlineTimer clientTimer;
    private final DeadlineTimer upstreamTimer;
    private ClientWait clientWait = ClientWait.NONE;
    private UpstreamWait upstreamWait = UpstreamWait.NONE;

    ExchangeTimers(EventExecutor executor, Runnable clientExpired, UpstreamExpiry upstreamExpired) {
        this.clientTimer = new DeadlineTimer(executor, () -> {
            clientWait = ClientWait.NONE;
            clientExpired.run();
        });
        this.upstreamTimer = new DeadlineTimer(executor, () -> {
            UpstreamWait waited = upstreamWait;
            upstreamWait = UpstreamWait.NONE;
            upstreamExpired.expired(waited == UpstreamWait.WRITE);
        });
    }

    /** Points both timers at whoever owes the next move of {@code e}, which has a server connection. */
    void update(Exchange e) {
        if (e.backend == null || e.responseComplete) {
            return;
        }
        boolean readingBody = !e.requestComplete && !e.waitingForBackendWritable;
        if (e.waitingForClientWritable || readingBody) {
            setClientWait(ClientWait.CLIENT, e.config.config().limits().clientTimeout().toNanos());
        } else {
            setClientWait(ClientWait.NONE, 0);
        }
        UpstreamConfig uc = e.group.config();
        if (e.waitingForBackendWritable) {
            setUpstreamWait(UpstreamWait.WRITE, uc.timeouts().write().toNanos());
        } else if ((e.requestComplete || e.responseStarted) && !e.waitingForClientWritable) {
            setUpstreamWait(UpstreamWait.READ, uc.timeouts().read().toNanos());
        } else {
            setUpstreamWait(UpstreamWait.NONE, 0);
        }
    }

    /** The connection waits for its next request, for at most {@code timeoutNanos}. */
    void awaitRequest(long timeoutNanos) {
        setClientWait(ClientWait.NEXT_REQUEST, timeoutNanos);
    }

    /** The client must go on reading (a body still leaving), within {@code timeoutNanos} of its last progress. */
    void awaitClient(long timeoutNanos) {
        setClientWait(ClientWait.CLIENT, timeoutNanos);
    }

    /** The client owes nothing now (a request head has come, or Tandem answers it). */
    void clientOwesNothing() {
        setClientWait(ClientWait.NONE, 0);
    }

    /** The server owes nothing now: the exchange has let go of it. */
    void upstreamOwesNothing() {
        setUpstreamWait(UpstreamWait.NONE, 0);
    }

    /** The wait for the next request is on: the connection may fall asleep with its {@link #clientDeadline()}. */
    boolean awaitingRequest() {
        return clientWait == ClientWait.NEXT_REQUEST && clientTimer.armed();
    }

    /** When the client timer expires, on the event loop's clock, while armed. */
    long clientDeadline() {
        return clientTimer.deadline();
    }

    void touchClient() {
        clientTimer.touch();
    }

    void touchUpstream() {
        upstreamTimer.touch();
    }

    /** Drops both timers' tasks: the connection closes, sleeps or leaves HTTP. */
    void cancel() {
        clientTimer.cancel();
        upstreamTimer.cancel();
    }

    /** Drops both timers' tasks for a connection that falls asleep: whatever wakes it starts a wait of its own. */
    void cancelForSleep() {
        cancel();
        clientWait = ClientWait.NONE;
    }

    /** Arms the client timer for {@code wait}, unless it already waits for that (its deadline then stands). */
    private void setClientWait(ClientWait wait, long timeoutNanos) {
        if (wait == clientWait && (wait == ClientWait.NONE || clientTimer.armed())) {
            return;
        }
        clientWait = wait;
        if (wait == ClientWait.NONE) {
            clientTimer.disarm();
        } else {
            clientTimer.arm(timeoutNanos);
        }
    }

    private void setUpstreamWait(UpstreamWait wait, long timeoutNanos) {
        if (wait == upstreamWait && (wait == UpstreamWait.NONE || upstreamTimer.armed())) {
            return;
        }
        upstreamWait = wait;
        if (wait == UpstreamWait.NONE) {
            upstreamTimer.disarm();
        } else {
            upstreamTimer.arm(timeoutNanos);
        }
    }
}
