package dev.tandem.proxy.guard;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * One version of an htpasswd file: {@code user:$2y$cost$...} lines (Apache's {@code htpasswd -B}), and what
 * has been verified against it. Verified credentials are remembered by a SHA-256 of the whole Authorization
 * value (never the password): a bcrypt check costs milliseconds on purpose, far too much to pay on every
 * request. A new version of the file is a new instance, so an edit (a password changed, a user removed)
 * forgets every remembered answer at once.
 */
public final class Htpasswd {

    /** bcrypt as htpasswd, OpenBSD and PHP write it: {@code $2a$}, {@code $2b$} or {@code $2y$}, cost, salt and hash. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
    /** An Authorization value longer than this is refused unread: no user name and password need it. */
    static final int MAX_AUTHORIZATION_CHARS = 1024;
    /** bcrypt uses the first 72 bytes of a password; longer ones are cut as htpasswd cuts them. */
    private static final int BCRYPT_MAX_PASSWORD_BYTES = 72;

    private final Map<String, String> hashes;
    /** Checks under way by key: a header sent many times at once is verified once. */
    final Map<String, CompletableFuture<Boolean>> inFlight = new ConcurrentHashMap<>();
    private final Cache<String, Boolean> verified = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterAccess(Duration.ofMinutes(10)).build();
    /** Failures are remembered too, briefly: the same wrong header sent again costs nothing. */
    private final Cache<String, Boolean> refused = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(1)).build();

    private Htpasswd(Map<String, String> hashes) {
        this.hashes = Map.copyOf(hashes);
    }

    /**
     * A parse of an htpasswd file's lines.
     *
     * @param htpasswd the users, or null when {@code problems} is not empty
     * @param problems {@code line N: ...}, one per line that is not a bcrypt entry
     */
    public record Parse(Htpasswd htpasswd, List<String> problems) {
    }

    /** Parses {@code lines}; blank lines and lines starting with {@code #} are skipped. */
    public static Parse parse(List<String> lines) {
        Map<String, String> hashes = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String user = colon < 0 ? line : line.substring(0, colon);
            String hash = colon < 0 ? "" : line.substring(colon + 1);
            int extra = hash.indexOf(':');
            if (extra >= 0) {
                // Some tools add fields after the hash (user:hash:comment).
                hash = hash.substring(0, extra);
            }
            String where = "line " + (i + 1) + ": ";
            if (colon <= 0) {
                problems.add(where + "not user:hash");
            } else if (!BCRYPT.matcher(hash).matches()) {
                problems.add(where + "user '" + user + "' has a " + scheme(hash)
                        + " entry (expected: bcrypt, as written by htpasswd -B)");
            } else if (hashes.putIfAbsent(user, hash) != null) {
                problems.add(where + "user '" + user + "' appears again");
            }
        }
        return problems.isEmpty() ? new Parse(new Htpasswd(hashes), List.of()) : new Parse(null, List.copyOf(problems));
    }

    private static String scheme(String hash) {
        if (hash.startsWith("$apr1$")) {
            return "non-bcrypt ($apr1$ MD5)";
        }
        if (hash.startsWith("{SHA}")) {
            return "non-bcrypt ({SHA})";
        }
        if (hash.startsWith("$2")) {
            return "malformed bcrypt";
        }
        if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
            return "non-bcrypt (SHA-crypt)";
        }
        return hash.isEmpty() ? "empty" : "non-bcrypt (crypt or plain text)";
    }

    public int users() {
        return hashes.size();
    }

    /** What a look at the Authorization header decides at once, without bcrypt. */
    enum Quick { ALLOWED, REFUSED, VERIFY }

    /** The remembered answer for {@code key} ({@link #key}), or VERIFY when there is none. */
    Quick remembered(String key) {
        if (verified.getIfPresent(key) != null) {
            return Quick.ALLOWED;
        }
        return refused.getIfPresent(key) != null ? Quick.REFUSED : Quick.VERIFY;
    }

    /**
     * A first look at an Authorization value: REFUSED when it is missing, not Basic, malformed, too long or
     * names no user of the file; else VERIFY (the caller looks for a remembered answer first).
     */
    Quick inspect(String authorization) {
        return credentials(authorization) == null ? Quick.REFUSED : Quick.VERIFY;
    }

    /** The slow part: bcrypt. Never on an event loop. Remembers the answer under {@code key}. */
    boolean verify(String key, String authorization) {
        String[] userPassword = credentials(authorization);
        boolean ok = false;
        if (userPassword != null) {
            byte[] password = userPassword[1].getBytes(StandardCharsets.UTF_8);
            if (password.length > BCRYPT_MAX_PASSWORD_BYTES) {
                password = java.util.Arrays.copyOf(password, BCRYPT_MAX_PASSWORD_BYTES);
            }
            try {
                ok = OpenBSDBCrypt.checkPassword(hashes.get(userPassword[0]), password);
            } catch (RuntimeException e) {
                ok = false;
            }
        }
        (ok ? verified : refused).put(key, Boolean.TRUE);
        return ok;
    }

    /** {user, password} from {@code Basic base64(user:password)} naming a user of the file, else null. */
    private String[] credentials(String authorization) {
        if (authorization == null || authorization.length() > MAX_AUTHORIZATION_CHARS
                || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(authorization.substring(6).strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
        String text = new String(decoded, StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        String user = text.substring(0, colon);
        return hashes.containsKey(user) ? new String[] {user, text.substring(colon + 1)} : null;
    }

    /** What verified answers are remembered by: a SHA-256 of the header value, so no password is kept. */
    static String key(String authorization) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(authorization.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always there", e);
        }
    }
}
