package dev.tandem.proxy.http;

import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open client connections of every listener, by the local address each was accepted on: a listener bound
 * to {@code 0.0.0.0} serves every address of the host, and the address a client reached (a VIP) is the accepted
 * socket's own. Lets a node that gives up one address close that address's connections gently and count them
 * while they drain, leaving the others alone.
 *
 * <p>Written when a connection opens and closes (never per request); read by whoever steps down, off the event
 * loops. Each connection is told on its own event loop.
 */
public final class ConnectionsByAddress {

    private final ConcurrentHashMap<InetAddress, Set<ClientConnection>> open = new ConcurrentHashMap<>();

    void add(ClientConnection connection) {
        InetAddress a = connection.local();
        if (a != null) {
            open.computeIfAbsent(a, k -> ConcurrentHashMap.newKeySet()).add(connection);
        }
    }

    void remove(ClientConnection connection) {
        InetAddress a = connection.local();
        if (a != null) {
            // Atomic per address with add(): an address's set is dropped only while it is empty.
            open.computeIfPresent(a, (k, set) -> set.remove(connection) && set.isEmpty() ? null : set);
        }
    }

    /** Open client connections accepted on {@code address} (on any listener, including ones a reload removed). */
    public int open(InetAddress address) {
        Set<ClientConnection> set = open.get(address);
        return set == null ? 0 : set.size();
    }

    /**
     * This node gives up {@code address}: each of its connections answers its next response with
     * {@code Connection: close} and then closes, those idle between requests close now, HTTP/2 connections send
     * GOAWAY and finish their streams (see {@link ClientConnection}). Connections accepted later are not marked:
     * call again to reach them.
     *
     * @return how many connections were told
     */
    public int closeWhenIdle(InetAddress address) {
        Set<ClientConnection> set = open.get(address);
        if (set == null) {
            return 0;
        }
        int n = 0;
        for (ClientConnection c : set) {
            c.closeWhenIdle();
            n++;
        }
        return n;
    }
}
