from intentsync.auth.keys import display_prefix, hash_key, key_from_bytes, new_key


def test_key_from_bytes_exact_value():
    assert key_from_bytes(bytes(range(32))) == "isk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"


def test_hash_is_sha256_hex():
    assert hash_key("isk_abc") == "03e8d67d30d045e7107c1c34db9f791eb1f1ee8d252c40ef7e4cffa866b89ded"
    assert hash_key("isk_abc") != hash_key("isk_abd")


def test_new_keys_are_unique_and_prefixed():
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(k.startswith("isk_") and len(k) == 47 for k in keys)
    assert display_prefix("isk_ABCDEFGHIJ") == "isk_ABCDEF"
