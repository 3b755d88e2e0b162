package dev.tandem.node.wiring;

import dev.tandem.cluster.mirror.CertificateCheck;
import dev.tandem.conf.CertificateConfig;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.tls.TlsCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The mirror's check of a certificate and its key: the pairs are those of the TLS listeners of the config in
 * force, and the check is {@code tandem check}'s ({@link TlsCheck#checkPair}).
 */
final class MirroredPairCheck implements CertificateCheck {

    private final Supplier<Snapshot> inForce;
    private final TlsCheck tls = new TlsCheck();
    private volatile Pairs pairs = new Pairs(null, Map.of());

    /** The pairs of one snapshot, by each half's path (as named and real). */
    private record Pairs(Snapshot snapshot, Map<Path, Entry> byFile) {
    }

    private record Entry(Pair pair, CertificateConfig config) {
    }

    MirroredPairCheck(Supplier<Snapshot> inForce) {
        this.inForce = inForce;
    }

    @Override
    public Optional<Pair> pairOf(Path file) {
        Entry e = pairs().byFile().get(file.toAbsolutePath().normalize());
        return e == null ? Optional.empty() : Optional.of(e.pair());
    }

    @Override
    public Verdict check(Pair pair, byte[] cert, byte[] key) {
        for (Entry e : pairs().byFile().values()) {
            if (e.pair().equals(pair)) {
                TlsCheck.PairCheck c = tls.checkPair(e.config(), cert, key);
                return new Verdict(c.errors(), c.warnings());
            }
        }
        return new Verdict(java.util.List.of(), java.util.List.of());
    }

    private Pairs pairs() {
        Snapshot s = inForce.get();
        Pairs p = pairs;
        if (p.snapshot() == s) {
            return p;
        }
        Map<Path, Entry> byFile = new HashMap<>();
        for (ListenerConfig l : s.config().listeners()) {
            if (l.tls().isEmpty()) {
                continue;
            }
            for (CertificateConfig c : l.tls().get().allCertificates()) {
                Pair pair = new Pair(real(c.cert()), real(c.key()));
                Entry e = new Entry(pair, c);
                for (Path half : new Path[]{c.cert(), c.key()}) {
                    byFile.put(half.toAbsolutePath().normalize(), e);
                    byFile.put(real(half), e);
                }
            }
        }
        p = new Pairs(s, Map.copyOf(byFile));
        pairs = p;
        return p;
    }

    /** The file's real path (the mirror names files so: a link to a mirrored file is followed), else as named. */
    private static Path real(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        try {
            return Files.exists(abs) ? abs.toRealPath() : abs;
        } catch (IOException e) {
            return abs;
        }
    }
}
