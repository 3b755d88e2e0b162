package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owners and groups as the mirror carries them: by name, since two nodes need not give a user the same
 * number. A received file takes its version's owner and group when this process may give files away (it runs
 * as root); otherwise, and for a name this node does not know, the file keeps the owner it was created with,
 * and the unknown name is logged once. Either way the file on disk is then recorded as it is, so the
 * difference is never mistaken for a local edit. Thread-safe: the flush pool applies owners too.
 */
public final class Ownership {

    private static final Logger log = LoggerFactory.getLogger(Ownership.class);

    private final boolean mayChown;
    private final Set<String> unknownLogged = ConcurrentHashMap.newKeySet();

    public Ownership(boolean mayChown) {
        this.mayChown = mayChown;
    }

    /** For this process: owners are applied when it runs as root. */
    public static Ownership ofThisProcess() {
        boolean root;
        try {
            // /proc/self belongs to the process's effective user
            root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            root = false;
        }
        if (!root) {
            log.info("mirror: not running as root: received files keep this node's owner (owners are sent, not applied)");
        }
        return new Ownership(root);
    }

    public boolean mayChown() {
        return mayChown;
    }

    /**
     * The owner and group a new version of {@code path} carries. A node that may not give files away neither
     * applies owners nor makes them: an edit there keeps the owners of the version it replaces (the file there
     * belongs to this process's user only because it could not be given to the right one); a new file carries
     * its own.
     */
    public String[] namesForEdit(Path path, Entry previous) {
        return namesForEdit(previous, () -> namesOf(path));
    }

    /** {@link #namesForEdit(Path, Entry)} with the names on disk read by {@code onDisk}, only when needed. */
    public String[] namesForEdit(Entry previous, java.util.function.Supplier<String[]> onDisk) {
        if (!mayChown && previous != null && !previous.deleted()
                && (!previous.owner().isEmpty() || !previous.group().isEmpty())) {
            return new String[]{previous.owner(), previous.group()};
        }
        return onDisk.get();
    }

    /**
     * Whether the owners of a file moved since it was recorded, as a change of its own: only where owners are
     * applied (elsewhere they are not this node's to change).
     */
    public boolean changed(FileStore.Stat now, FileStore.Stat recorded) {
        return mayChown && now.ownersChangedSince(recorded);
    }

    /** Owner and group names of {@code path} (a link's own), {@code {"", ""}} when they cannot be read. */
    public static String[] namesOf(Path path) {
        try {
            PosixFileAttributes a = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return new String[]{a.owner().getName(), a.group().getName()};
        } catch (IOException | UnsupportedOperationException e) {
            return new String[]{"", ""};
        }
    }

    /**
     * Gives {@code path} (a link itself, not its target) the owner and group of {@code entry}, when this process
     * may and the names are known here; does nothing for a version whose owners are not known.
     */
    public void apply(Path path, Entry entry) throws IOException {
        if (!mayChown || entry.owner().isEmpty() && entry.group().isEmpty()) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return;
        }
        UserPrincipalLookupService names = path.getFileSystem().getUserPrincipalLookupService();
        if (!entry.owner().isEmpty()) {
            try {
                UserPrincipal u = names.lookupPrincipalByName(entry.owner());
                view.setOwner(u);
            } catch (UserPrincipalNotFoundException e) {
                unknown("user", entry.owner(), path);
            }
        }
        if (!entry.group().isEmpty()) {
            try {
                GroupPrincipal g = names.lookupPrincipalByGroupName(entry.group());
                view.setGroup(g);
            } catch (UserPrincipalNotFoundException e) {
                unknown("group", entry.group(), path);
            }
        }
    }

    private void unknown(String what, String name, Path path) {
        if (unknownLogged.add(what + ":" + name)) {
            log.warn("mirror: {} {} (of {}, as a peer has it) is unknown on this node: such files keep this node's default",
                    what, name, path);
        }
    }
}
