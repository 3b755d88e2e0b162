package dev.tandem.cluster.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Locale;

/**
 * Whether a peer's process is gone, told by the dials of one TCP connection to it (the mirror's, or the presence
 * link's): pure decisions on a time the caller passes, no sockets.
 *
 * <p>A process that dies has its kernel close its connections at once and refuse new ones. So: a connection up
 * that the peer closes (a FIN or a reset; never a close made here) is dialed again at once, and a refusal of that
 * dial means the process is gone. A dial accepted and cut before the peer's first word is tried again, up to
 * {@link #PROBES} dials {@link #PROBE_SPACING} apart: the listening socket of a dying process can outlive its
 * connections by a few milliseconds and take one more. A dial answered means alive; a timeout or no route tells
 * nothing. The dial at once goes at most once per {@code recheckEvery}, so a live peer that closes every
 * connection gets the caller's back-off rather than a dial loop (the dial after the back-off still tells). A refusal with no close before it tells nothing
 * either (a peer not started yet, a firewall).
 */
public final class GoneCheck {

    /** Dials after a peer's close that may tell whether its process is gone. */
    public static final int PROBES = 5;
    public static final Duration PROBE_SPACING = Duration.ofMillis(20);

    /** What the caller does next. */
    public enum Next {
        /** Dial now. */
        DIAL_NOW,
        /** Dial again after {@link #PROBE_SPACING}. */
        PROBE,
        /** The peer's process is gone: tell it, then dial after the back-off. */
        GONE,
        /** Dial after the caller's back-off. */
        BACK_OFF
    }

    private final long recheckEveryNanos;
    private boolean checking;
    private int probesLeft;
    private boolean rechecked;
    private long recheckedAt;

    /** @param recheckEvery how often at most a close from the peer's side is dialed again at once */
    public GoneCheck(Duration recheckEvery) {
        this.recheckEveryNanos = recheckEvery.toNanos();
    }

    /** The connection up was closed from the peer's side, at {@code now} (nanoseconds). */
    public Next closedByPeer(long now) {
        checking = true;
        probesLeft = PROBES - 1;
        if (rechecked && now - recheckedAt < recheckEveryNanos) {
            // The dial after the back-off still tells it, later.
            return Next.BACK_OFF;
        }
        rechecked = true;
        recheckedAt = now;
        return Next.DIAL_NOW;
    }

    /** A dial that did not connect, judged by why: a refusal, a reset as it was accepted, or anything else. */
    public Next dialFailed(Throwable cause) {
        if (refusal(cause)) {
            return refused();
        }
        return reset(cause) ? cutBeforeAWord() : failed();
    }

    /** A connection refused: nothing listens at the peer's address and port. */
    public static boolean refusal(Throwable cause) {
        return cause instanceof ConnectException && message(cause).contains("refused");
    }

    /** A connection reset or cut by the peer (not a timeout, not a close made here). */
    public static boolean reset(Throwable cause) {
        String m = message(cause);
        return cause instanceof IOException && (m.contains("reset") || m.contains("broken pipe"));
    }

    private static String message(Throwable cause) {
        return String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
    }

    /** A dial was refused (nothing listens there). */
    public Next refused() {
        if (checking) {
            checking = false;
            return Next.GONE;
        }
        return Next.BACK_OFF;
    }

    /** A dial was accepted and cut before the peer's first word (or reset as it was accepted). */
    public Next cutBeforeAWord() {
        if (checking && probesLeft > 0) {
            probesLeft--;
            return Next.PROBE;
        }
        checking = false;
        return Next.BACK_OFF;
    }

    /** A dial failed otherwise (a timeout, no route): it tells nothing. */
    public Next failed() {
        checking = false;
        return Next.BACK_OFF;
    }

    /** The peer answered: alive. */
    public void answered() {
        checking = false;
    }

    /** Whether a close from the peer's side is being told apart now. */
    public boolean checking() {
        return checking;
    }
}
