package dev.tandem.health;

/** What active checks say of a server. A server nobody has checked yet counts as up. */
public enum ActiveState {
    UNKNOWN,
    UP,
    DOWN;

    public boolean allowsTraffic() {
        return this != DOWN;
    }
}
