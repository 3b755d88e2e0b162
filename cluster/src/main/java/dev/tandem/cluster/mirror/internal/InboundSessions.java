package dev.tandem.cluster.mirror.internal;

/**
 * The inbound connections opening and closing: a session's place in the book and the gate, the peer's link
 * poked and told this node's summary; on a close, the file under way dropped, its fetches ended, a parked config
 * refused when it waited for that session. The driver's: it talks to the sessions. What their peers offer is
 * the core's ({@link PeerOffers}). Runs on the engine's thread.
 */
final class InboundSessions {

    private final EngineState state;
    private final Receiver receiver;
    private final Applier applier;
    private final StatusPublisher publisher;

    InboundSessions(EngineState state, Receiver receiver, Applier applier, StatusPublisher publisher) {
        this.state = state;
        this.receiver = receiver;
        this.applier = applier;
        this.publisher = publisher;
    }

    void sessionOpened(InboundSession s) {
        InboundState.Session opened = new InboundState.Session(s);
        state.sessions.put(s, opened);
        state.book.opened(opened);
        state.gate.sessionOpened(s.peer());
        state.statusDirty = true;
        PeerLink link = state.links.get(s.peer());
        if (link != null) {
            link.poke();
        }
        Messages.Summary sum = publisher.latestSummary;
        if (sum != null) {
            s.summary(sum);
        }
    }

    void sessionClosed(InboundSession s) {
        InboundState.Session st = state.sessions.remove(s);
        if (st == null) {
            return;
        }
        state.gate.sessionClosed(st.peer, state.digests());
        state.statusDirty = true;
        receiver.dropReceiving(st);
        for (InboundState.Fetch f : state.book.closed(st)) {
            applier.fetchEnded(f.entry.key(), f.entry, false);
        }
        if (state.book.parkedDue(st)) {
            applier.refuseParked();
        }
    }
}
