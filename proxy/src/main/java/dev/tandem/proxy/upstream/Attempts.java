package dev.tandem.proxy.upstream;

import java.util.Arrays;

/**
 * The servers one request has been sent to, in order, and the filter used to choose the next one.
 * Owned by one request on one event loop.
 */
public final class Attempts implements ServerFilter {

    /** The successively wider sets of servers a selection looks at. */
    enum Pass {
        /** available, not tried yet, and with a connection slot free (else the request would queue) */
        FRESH_WITH_ROOM,
        /** available and not tried yet */
        FRESH,
        /** available, but not the one that just failed */
        NOT_LAST,
        /** available, even the one that just failed (nothing else is) */
        ANY,
        /**
         * up by active checks, even when passive accounting took it out (nothing else is left; for a first attempt
         * only when its next probe is due), but not the one that just failed
         */
        IGNORING_PASSIVE_NOT_LAST,
        /** up by active checks (for a first attempt: with a probe due), even the one that just failed */
        IGNORING_PASSIVE
    }

    /** The passes in order, made once ({@code values()} copies its array at every call). */
    static final Pass[] PASSES = Pass.values();
    private static final UpstreamServer[] NONE = new UpstreamServer[0];

    /** The first server tried: most requests have no other, and then no array either. */
    private UpstreamServer first;
    /** The servers tried after the first, made on the second attempt. */
    private UpstreamServer[] more = NONE;
    private int count;
    private Pass pass = Pass.FRESH_WITH_ROOM;
    private long now;
    /**
     * The last server refused the connection: nothing listens there now, and trying it again at once would only
     * cost another connection and another refusal, so no pass picks it again for this request.
     */
    private boolean lastRefused;
    /** The last server was picked while passive accounting had it out: it went as a probe. */
    private boolean lastProbe;

    public int count() {
        return count;
    }

    public UpstreamServer last() {
        return count == 0 ? null : tried(count - 1);
    }

    private UpstreamServer tried(int i) {
        return i == 0 ? first : more[i - 1];
    }

    void add(UpstreamServer server) {
        if (count == 0) {
            first = server;
        } else {
            if (count - 1 == more.length) {
                more = Arrays.copyOf(more, Math.max(2, more.length * 2));
            }
            more[count - 1] = server;
        }
        count++;
        lastRefused = false;
        lastProbe = false;
    }

    /** The server just added goes as a probe of a penalised server (see {@link dev.tandem.health.PassiveFailures}). */
    void lastIsProbe() {
        lastProbe = true;
    }

    /** True when the last server was sent the request as a probe: its success ends the server's penalty. */
    public boolean lastWasProbe() {
        return lastProbe;
    }

    /** True when the pass in force picks servers that passive accounting took out (as probes). */
    boolean ignoringPassive() {
        return pass == Pass.IGNORING_PASSIVE_NOT_LAST || pass == Pass.IGNORING_PASSIVE;
    }

    /** The last server tried refused the connection: it is not picked again for this request. */
    public void lastRefused() {
        lastRefused = count > 0;
    }

    /** True when {@code server} may take a retry of this request at all: not the server that just refused it. */
    boolean mayRetryOn(UpstreamServer server) {
        return !(lastRefused && isLast(server));
    }

    private boolean wasTried(UpstreamServer server) {
        for (int i = 0; i < count; i++) {
            if (tried(i).state() == server.state()) {
                return true;
            }
        }
        return false;
    }

    private boolean isLast(UpstreamServer server) {
        return count > 0 && tried(count - 1).state() == server.state();
    }

    /**
     * For the passes that ignore passive accounting: a first attempt goes to a server it took out only as that
     * server's probe, when one is due; a retry goes anyway. The probes keep new requests off a dead upstream, while a
     * request that already failed once, and is safe to send again, still gets its retry (after its backoff: what an
     * overloaded server that reset it needs).
     */
    private boolean outOrProbeable(UpstreamServer server) {
        return count == 0 ? server.probeable(now) : server.availableIgnoringPassive();
    }

    void prepare(Pass pass, long nanoTime) {
        this.pass = pass;
        this.now = nanoTime;
    }

    @Override
    public boolean test(UpstreamServer server) {
        return switch (pass) {
            case FRESH_WITH_ROOM -> server.available(now) && !wasTried(server) && server.hasRoom();
            case FRESH -> server.available(now) && !wasTried(server);
            case NOT_LAST -> server.available(now) && !isLast(server);
            case ANY -> server.available(now) && mayRetryOn(server);
            case IGNORING_PASSIVE_NOT_LAST -> outOrProbeable(server) && !isLast(server);
            case IGNORING_PASSIVE -> outOrProbeable(server) && mayRetryOn(server);
        };
    }
}
