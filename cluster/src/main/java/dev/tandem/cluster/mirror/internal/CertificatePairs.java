package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.CertificateCheck;
import dev.tandem.cluster.mirror.CertificateCheck.Pair;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a certificate and its key one unit in the mirror. A half edited here is sent only when the pair on
 * disk passes the {@link CertificateCheck} (the check of {@code tandem check}), and then with its other half:
 * a half whose pair does not pass is held, quietly for {@link #SETTLE} (the other half of a renewal is on its
 * way), then reported (a WARN per problem, {@code tandem_mirror_certificate_pairs_refused_total{origin="here"}})
 * and held until the pair passes. A half received from a peer is written over the file in place only when it
 * passes with the other half (the one received with it, or the one on disk); until that half comes, in the
 * same round, it is held aside, and the two are then put in place one right after the other. A pair that does
 * not pass once both are in is refused whole ({@code origin="peer"}), and what is on disk stays.
 *
 * <p>No I/O: it decides on the halves it is given, as {@link CertificateFiles} read them (the pair on disk, a
 * received half from its temporary file, the other half from the one held aside here, see {@link #heldTemp}),
 * and on the time of the clock given. It says which temporary files are no longer needed; the driver deletes
 * them. Not thread-safe: the engine's thread only. {@code T} is what the engine needs to put a held half in
 * place later.
 */
final class CertificatePairs<T> {

    private static final Logger log = LoggerFactory.getLogger(CertificatePairs.class);

    /** How long a half edited here may wait for its other half before its pair is reported as bad. */
    static final Duration SETTLE = Duration.ofSeconds(2);
    /** A certificate chain or key larger than this is no certificate or key. */
    static final int MAX_BYTES = 1024 * 1024;

    /** What to do with a half edited here. */
    record Local(boolean held, Path partner, Duration recheckIn) {
        static final Local NOT_A_PAIR = new Local(false, null, null);
    }

    /** What to do with a half received from a peer. */
    record Received<T>(Action action, T partner, List<String> errors) {
        /** Any other file: put in place as it is. */
        static <T> Received<T> notAPair() {
            return new Received<>(Action.INSTALL, null, List.of());
        }
    }

    /**
     * One half as the driver read it: its content, or why there is none (then {@code content} is null).
     * A file over {@link #MAX_BYTES} is not read.
     */
    record Half(byte[] content, String problem) {
        static Half of(byte[] content) {
            return new Half(content, null);
        }

        static Half missing() {
            return new Half(null, "no such file");
        }

        static Half tooLarge() {
            return new Half(null, "larger than " + MAX_BYTES + " bytes (expected: a PEM certificate or key)");
        }

        static Half unreadable(String why) {
            return new Half(null, "cannot read: " + why);
        }
    }

    /** A received half held aside and given up: its temporary file is to be deleted, its {@code token} dropped. */
    record Dropped<T>(Path temp, T token) {
    }

    enum Action {
        /** Put it in place (and {@code partner}, held until now, right after it). */
        INSTALL,
        /** Keep it aside until its other half comes; nothing to do now. */
        HOLD,
        /** Drop it (and the held {@code partner}): the pair does not pass. */
        REFUSE
    }

    private record Held<T>(Path temp, T token, String from, List<String> errors) {
    }

    /**
     * A pair held, for the status: edited here and not sent ({@code from} "here"), or received from peer
     * {@code from} and not written; {@code since} is when it was first reported, {@code errors} the check's.
     */
    record HeldPair(Path cert, Path key, String from, long since, List<String> errors) {
    }

    private final CertificateCheck check;
    private final LongSupplier millis;
    private final Counter refusedHere;
    private final Counter refusedFromPeer;
    private final Map<Pair, Long> heldSince = new HashMap<>();
    private final Map<Pair, List<String>> reported = new HashMap<>();
    private final Map<Pair, List<String>> warned = new HashMap<>();
    private final Map<Path, Held<T>> received = new HashMap<>();
    /** Pairs received from a peer and refused, until a pair of theirs passes (here or received). */
    private final Map<Pair, HeldPair> refusedReceived = new LinkedHashMap<>();

    CertificatePairs(CertificateCheck check, LongSupplier millis, MeterRegistry meters) {
        this.check = check;
        this.millis = millis;
        this.refusedHere = refused(meters, "here");
        this.refusedFromPeer = refused(meters, "peer");
    }

    private static Counter refused(MeterRegistry meters, String origin) {
        return Counter.builder("tandem_mirror_certificate_pairs_refused_total")
                .description("Certificate and key pairs that did not pass the check of tandem check: here = edited on "
                        + "this node, not sent; peer = received, not written")
                .tag("origin", origin).register(meters);
    }

    /** The pair {@code file} is half of; empty for any other file. */
    Optional<Pair> pairOf(Path file) {
        return check.pairOf(file);
    }

    /** The temporary file of the received {@code half} held aside here, or null. */
    Path heldTemp(Path half) {
        Held<T> h = received.get(half);
        return h == null ? null : h.temp();
    }

    /**
     * A file edited here, about to be sent: may it go, and with which other half?
     *
     * @param pair the pair {@code file} is half of ({@link #pairOf})
     * @param cert the pair's certificate as it is on disk now
     * @param key  the pair's key as it is on disk now
     */
    Local local(Path file, Pair pair, Half cert, Half key) {
        CertificateCheck.Verdict v = verdict(pair, cert, key);
        long now = millis.getAsLong();
        if (v.ok()) {
            heldSince.remove(pair);
            refusedReceived.remove(pair);
            if (reported.remove(pair) != null) {
                log.info("mirror: {} and {} pass the check again: sent", pair.cert(), pair.key());
            }
            warn(pair, v);
            return new Local(false, pair.other(file), null);
        }
        Long first = heldSince.get(pair);
        if (first == null || (!reported.containsKey(pair) && now - first > 2 * SETTLE.toMillis())) {
            // New, or left from a bad moment that went away unreported (the file put back as it was): the
            // settle starts now, so a later renewal gets its own.
            first = now;
            heldSince.put(pair, now);
        }
        long since = first;
        long left = SETTLE.toMillis() - (now - since);
        if (left > 0) {
            return new Local(true, null, Duration.ofMillis(left));
        }
        if (!v.errors().equals(reported.get(pair))) {
            reported.put(pair, v.errors());
            refusedHere.increment();
            log.warn("mirror: {} and {} do not pass the check: neither is sent (peers keep the pair they have):",
                    pair.cert(), pair.key());
            v.errors().forEach(e -> log.warn("{}", e));
        }
        return new Local(true, null, null);
    }

    /**
     * A file received from a peer, complete in {@code temp}, about to be written over {@code target}. A half of
     * {@code target} held before is replaced (the driver deletes its {@link #heldTemp}).
     *
     * @param pair  the pair {@code target} is half of ({@link #pairOf})
     * @param cert  the certificate: read from {@code temp} when it is {@code target}, else from its
     *              {@link #heldTemp} when one is held, else from the disk
     * @param key   the key, likewise
     * @param token what the engine needs to put it in place later, if it is held
     * @param from  the peer it came from (for the status)
     */
    Received<T> received(Path target, Path temp, T token, String from, Pair pair, Half cert, Half key) {
        Path other = pair.other(target);
        Held<T> otherHeld = received.get(other);
        received.remove(target);
        CertificateCheck.Verdict v = verdict(pair, cert, key);
        if (v.ok()) {
            received.remove(other);
            refusedReceived.remove(pair);
            // the pair in place is about to be the peer's, which passes: one held here is superseded
            heldSince.remove(pair);
            reported.remove(pair);
            warn(pair, v);
            return new Received<>(Action.INSTALL, otherHeld == null ? null : otherHeld.token(), List.of());
        }
        if (otherHeld == null) {
            // The other half is probably on its way in the same round (a renewal): wait for it.
            received.put(target, new Held<>(temp, token, from, v.errors()));
            return new Received<>(Action.HOLD, null, v.errors());
        }
        received.remove(other);
        refusedFromPeer.increment();
        refusedReceived.put(pair, new HeldPair(pair.cert(), pair.key(), from, millis.getAsLong(), v.errors()));
        log.warn("mirror: {} and {} received do not pass the check: neither is written (the pair in place stays):",
                pair.cert(), pair.key());
        v.errors().forEach(e -> log.warn("{}", e));
        return new Received<>(Action.REFUSE, otherHeld.token(), v.errors());
    }

    /**
     * The round is over: halves still held did not pass with the pair on disk, and their other half did not
     * come. They are refused; returns them (the driver deletes their temporary files).
     */
    List<Dropped<T>> roundOver() {
        List<Dropped<T>> out = new ArrayList<>();
        for (Map.Entry<Path, Held<T>> e : received.entrySet()) {
            refusedFromPeer.increment();
            log.warn("mirror: {} received does not pass the check with the {} in place, and no other half came with"
                    + " it: not written", e.getKey(), e.getKey().getFileName());
            out.add(new Dropped<>(e.getValue().temp(), e.getValue().token()));
            check.pairOf(e.getKey()).ifPresent(pair -> refusedReceived.put(pair, new HeldPair(pair.cert(), pair.key(),
                    e.getValue().from(), millis.getAsLong(), e.getValue().errors())));
        }
        received.clear();
        return out;
    }

    /**
     * The pairs held now, for the status: those edited here that were reported (past {@link #SETTLE}), then
     * those received and refused. A pair leaves the list once a version of it passes.
     */
    List<HeldPair> held() {
        List<HeldPair> out = new ArrayList<>();
        reported.forEach((pair, errors) -> out.add(new HeldPair(pair.cert(), pair.key(), "here",
                heldSince.getOrDefault(pair, 0L), errors)));
        out.sort(java.util.Comparator.comparing(h -> h.cert().toString()));
        out.addAll(refusedReceived.values());
        return out;
    }

    /** Whether some received half is held aside. */
    boolean holding() {
        return !received.isEmpty();
    }

    /** The check's verdict on the halves given; a half that could not be read is an error of its own. */
    private CertificateCheck.Verdict verdict(Pair pair, Half cert, Half key) {
        List<String> errors = new ArrayList<>();
        if (cert.content() == null) {
            errors.add(pair.cert() + ": " + cert.problem());
        }
        if (key.content() == null) {
            errors.add(pair.key() + ": " + key.problem());
        }
        if (!errors.isEmpty()) {
            return new CertificateCheck.Verdict(errors, List.of());
        }
        try {
            return check.check(pair, cert.content(), key.content());
        } catch (RuntimeException e) {
            log.error("mirror: the certificate check failed on {}", pair, e);
            return new CertificateCheck.Verdict(List.of(pair.cert() + ": the check failed: " + e), List.of());
        }
    }

    private void warn(Pair pair, CertificateCheck.Verdict v) {
        if (v.warnings().isEmpty()) {
            warned.remove(pair);
        } else if (!v.warnings().equals(warned.get(pair))) {
            warned.put(pair, v.warnings());
            v.warnings().forEach(w -> log.warn("mirror: {}", w));
        }
    }
}
