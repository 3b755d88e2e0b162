package dev.tandem.cluster.mirror.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What the engine keeps of its inbound connections: each one's rounds and progress, the files asked for. */
final class InboundState {

    private InboundState() {
    }

    /** A version asked of a peer and not yet in place, with the other connections that offered it too. */
    static final class Fetch {
        final Entry entry;
        Session from;
        /** The connection whose progress counts this file (the first to offer it). */
        final Session counted;
        final ArrayDeque<Session> alternates = new ArrayDeque<>();

        Fetch(Entry entry, Session from) {
            this.entry = entry;
            this.from = from;
            this.counted = from;
        }
    }

    /** A round a peer offered: done (and the peer told) once none of its files is still awaited. */
    static final class Round {
        final long round;
        final boolean full;
        final Set<EntryKey> waiting;
        /** Links of the round, applied once its files are in place (a flipped link never points at nothing). */
        List<Entry> links = List.of();

        Round(long round, boolean full, Set<EntryKey> waiting) {
            this.round = round;
            this.full = full;
            this.waiting = waiting;
        }
    }

    /** One inbound connection: the file under way, the rounds open, the progress of the sync. */
    static final class Session {
        final InboundSession session;
        final String peer;
        Receiving rx;
        final ArrayDeque<Round> rounds = new ArrayDeque<>();
        final Set<EntryKey> roundKeys = new HashSet<>();
        final List<Entry> roundLinks = new ArrayList<>();
        /** The deletions of live files offered in the round under way, judged together at its end. */
        final java.util.Map<EntryKey, Entry> roundDeletions = new java.util.LinkedHashMap<>();
        long filesTotal;
        long bytesTotal;
        long filesDone;
        long bytesDone;
        long progressLoggedAt;
        long progressStartedAt;
        boolean firstFullDone;
        /** The end of the sync counted in the fields above was logged. */
        boolean completeLogged;

        Session(InboundSession session) {
            this(session, session.peer());
        }

        /** @param session null in tests of what is decided without a connection */
        Session(InboundSession session, String peer) {
            this.session = session;
            this.peer = peer;
        }

        /** Whether its connection is open (a session of a test, with none, counts as open). */
        boolean open() {
            return session == null || session.isOpen();
        }

        boolean syncing() {
            return filesDone < filesTotal;
        }

        /** Bytes of the files done, and of the one being received (a large file moves the progress too). */
        long bytesDoneNow() {
            Receiving r = rx;
            return bytesDone + (r == null || r.discard != null ? 0 : Math.min(r.written, r.entry.size()));
        }
    }

    /** A received config that did not validate yet: it may once the rest of its round has arrived. */
    static final class Parked {
        final Session from;
        final Receiving rx;
        List<String> errors;

        Parked(Session from, Receiving rx, List<String> errors) {
            this.from = from;
            this.rx = rx;
            this.errors = errors;
        }
    }
}
