package dev.tandem.proxy.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The session ticket keys of every OpenSSL context of this process. The newest key encrypts new tickets;
 * the previous ones still decrypt tickets issued under them, so a rotation does not end resumption for
 * clients that came recently. Keys live in memory only: a restart starts afresh. Rotated by its owner (the
 * proxy server, every {@link #ROTATION_HOURS} hours); thread-safe.
 */
public final class SessionTickets {

    public static final int ROTATION_HOURS = 12;
    /** Keys kept: the current one and two before it, so a ticket stays usable for 24 to 36 hours. */
    private static final int KEPT = 3;

    private final SecureRandom random = new SecureRandom();
    private final List<OpenSslSessionTicketKey> keys = new ArrayList<>();
    /** Contexts replaced by a reload drop out by themselves once no connection uses them. */
    private final Map<OpenSslSessionContext, Boolean> contexts = Collections.synchronizedMap(new WeakHashMap<>());

    public SessionTickets() {
        rotate();
    }

    /** Starts a new key and applies the key set to every context. */
    public synchronized void rotate() {
        keys.add(0, newKey());
        while (keys.size() > KEPT) {
            keys.remove(keys.size() - 1);
        }
        OpenSslSessionTicketKey[] now = keys.toArray(new OpenSslSessionTicketKey[0]);
        synchronized (contexts) {
            contexts.keySet().forEach(c -> c.setTicketKeys(now));
        }
    }

    synchronized void install(OpenSslSessionContext context) {
        context.setTicketKeys(keys.toArray(new OpenSslSessionTicketKey[0]));
        contexts.put(context, Boolean.TRUE);
    }

    private OpenSslSessionTicketKey newKey() {
        byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
        byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
        random.nextBytes(name);
        random.nextBytes(hmac);
        random.nextBytes(aes);
        return new OpenSslSessionTicketKey(name, hmac, aes);
    }
}
