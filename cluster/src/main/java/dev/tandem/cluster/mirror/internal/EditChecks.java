package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The checks a file present here passes before it becomes a version of this node, once {@link LocalScan} has
 * said its stat may hide a change, in the order they are made: a link is judged on its target; a file over a
 * limit of its root is refused unread; the config file is read whole (refused unread when too large), the rest
 * hashed; then, for a content that is new, the config's check or the certificate pair's.
 *
 * <p>No I/O: {@code LocalLook} stats, reads the link, hashes, validates and asks {@link CertificatePairs}, and
 * carries the verdict out. The facts that cost a read (the config's check, the pair's) are given as suppliers
 * and asked only on the branch that needs them.
 */
final class EditChecks {

    /** A config file larger than this is no config: refused without reading it. */
    static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;

    private EditChecks() {
    }

    /** What is done with a present file before its content is read. */
    enum BeforeRead {
        /** A link: its target is read and judged ({@link #link}). */
        LINK,
        /** Over a limit of its root: refused, and not read (it may be huge). */
        OVER_LIMIT,
        /** The config file, too large to be one: rejected unread. */
        CONFIG_TOO_LARGE,
        /** The config file: read whole, for its check. */
        READ_CONFIG,
        /** Any other file: hashed. */
        HASH
    }

    /**
     * @param link      the path is a symbolic link
     * @param overLimit the file is over a limit of its root ({@link RootLimits#check})
     * @param config    the path is the node's config file
     * @param size      its size
     */
    static BeforeRead beforeRead(boolean link, boolean overLimit, boolean config, long size) {
        if (link) {
            return BeforeRead.LINK;
        }
        if (overLimit) {
            return BeforeRead.OVER_LIMIT;
        }
        if (config) {
            return size > MAX_CONFIG_BYTES ? BeforeRead.CONFIG_TOO_LARGE : BeforeRead.READ_CONFIG;
        }
        return BeforeRead.HASH;
    }

    /** The problem {@link BeforeRead#CONFIG_TOO_LARGE} reports. */
    static String configTooLarge(Path path, long size) {
        return path + ": " + size + " bytes (expected: a config file of at most " + MAX_CONFIG_BYTES + " bytes)";
    }

    /** What a link found here is. */
    enum Link {
        /** It leads outside the mirrored paths: not sent, reported. */
        REFUSED,
        /** The link recorded, same target and owners: only its stat is recorded again. */
        SAME,
        /** A new version of this node. */
        EDITED
    }

    /**
     * @param refusal       why its target may not be mirrored ({@link Symlinks#refusal}), or null
     * @param recorded      the version recorded here, or null
     * @param target        its target as read
     * @param ownersChanged its owners moved since it was recorded, on a node that mirrors owners
     */
    static Link link(String refusal, Entry recorded, String target, boolean ownersChanged) {
        if (refusal != null) {
            return Link.REFUSED;
        }
        if (recorded != null && recorded.isLink() && recorded.link().equals(target) && !ownersChanged) {
            return Link.SAME;
        }
        return Link.EDITED;
    }

    /** What becomes of a content that is new here ({@link LocalScan.Content#EDITED}). */
    sealed interface Verdict permits AlreadyRejected, Rejected, HeldPair, Edit {
    }

    /** The config's content rejected before, again: nothing to report twice. */
    record AlreadyRejected() implements Verdict {
    }

    /** The config does not validate: no version, not sent, reported. */
    record Rejected(List<String> problems) implements Verdict {
    }

    /**
     * A certificate or key whose pair does not pass (yet): not sent. {@code recheckIn}: when to look again (its
     * other half may be on its way), or null when the pair is reported bad and waits for the next edit.
     */
    record HeldPair(Duration recheckIn) implements Verdict {
    }

    /**
     * A new version of this node, recorded and offered.
     *
     * @param reloadConfig the config file edited on a running node: the node reloads it once it is offered
     * @param partner      the other half of a certificate pair that passes, looked at right after, or null
     */
    record Edit(boolean reloadConfig, Path partner) implements Verdict {
    }

    /**
     * @param config         the path is the node's config file
     * @param rejectedBefore the config's content is the one rejected here before
     * @param problems       the config check's problems with the content (asked for the config only)
     * @param pair           what {@link CertificatePairs#local} says of it (asked for any other file only)
     * @param started        the node runs (at start it has just loaded its config: nothing to reload)
     */
    static Verdict edited(boolean config, boolean rejectedBefore, Supplier<List<String>> problems,
                          Supplier<CertificatePairs.Local> pair, boolean started) {
        if (config) {
            if (rejectedBefore) {
                return new AlreadyRejected();
            }
            List<String> p = problems.get();
            return p.isEmpty() ? new Edit(started, null) : new Rejected(p);
        }
        CertificatePairs.Local unit = pair.get();
        if (unit.held()) {
            return new HeldPair(unit.recheckIn());
        }
        return new Edit(false, unit.partner());
    }
}
