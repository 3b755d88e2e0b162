package dev.tandem.cluster.mirror.internal;

import dev.tandem.cluster.mirror.CertificateCheck.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The driver's side of {@link CertificatePairs}: reads the halves of a pair it asks about (off the disk, a
 * received half from its temporary file, the other half from the one held aside), and deletes the temporary
 * files of the halves it gives up. Runs on the engine's thread.
 */
final class CertificateFiles<T> {

    private final CertificatePairs<T> pairs;

    CertificateFiles(CertificatePairs<T> pairs) {
        this.pairs = pairs;
    }

    /** A file edited here, about to be sent: may it go, and with which other half? The halves as {@code disk} reads them. */
    CertificatePairs.Local local(Path file, Disk disk) {
        Optional<Pair> p = pairs.pairOf(file);
        if (p.isEmpty()) {
            return CertificatePairs.Local.NOT_A_PAIR;
        }
        Pair pair = p.get();
        return pairs.local(file, pair, disk.certificateHalf(pair.cert()), disk.certificateHalf(pair.key()));
    }

    /** A file received from a peer, complete in {@code temp}, about to be written over {@code target}. */
    CertificatePairs.Received<T> received(Path target, Path temp, T token, String from) {
        return received(target, temp, token, from, LocalDisk.INSTANCE, Receiving::deleteQuietly);
    }

    /**
     * As {@link #received(Path, Path, Object, String)}, the halves as {@code disk} reads them; the temporary file of
     * a half of {@code target} held before, now replaced, handed to {@code drop} (the core's: a command deletes it).
     */
    CertificatePairs.Received<T> received(Path target, Path temp, T token, String from, Disk disk,
                                          java.util.function.Consumer<Path> drop) {
        Optional<Pair> p = pairs.pairOf(target);
        if (p.isEmpty()) {
            return CertificatePairs.Received.notAPair();
        }
        Pair pair = p.get();
        Path otherHeld = pairs.heldTemp(pair.other(target));
        Path previous = pairs.heldTemp(target);
        CertificatePairs.Received<T> r = pairs.received(target, temp, token, from, pair,
                disk.certificateHalf(pair.cert().equals(target) ? temp : otherHeld != null ? otherHeld : pair.cert()),
                disk.certificateHalf(pair.key().equals(target) ? temp : otherHeld != null ? otherHeld : pair.key()));
        if (previous != null && !previous.equals(temp)) {
            drop.accept(previous);
        }
        return r;
    }

    /** The round is over: the halves still held are refused and their temporary files deleted; their tokens. */
    List<T> roundOver() {
        List<T> tokens = new ArrayList<>();
        for (CertificatePairs.Dropped<T> d : pairs.roundOver()) {
            Receiving.deleteQuietly(d.temp());
            tokens.add(d.token());
        }
        return tokens;
    }

    List<CertificatePairs.HeldPair> held() {
        return pairs.held();
    }

    boolean holding() {
        return pairs.holding();
    }

    /** One half's content, or why there is none; a file over {@link CertificatePairs#MAX_BYTES} is not read. */
    static CertificatePairs.Half read(Path file) {
        try {
            if (Files.size(file) > CertificatePairs.MAX_BYTES) {
                return CertificatePairs.Half.tooLarge();
            }
            return CertificatePairs.Half.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return CertificatePairs.Half.missing();
        } catch (IOException e) {
            return CertificatePairs.Half.unreadable(e.getMessage());
        }
    }
}
