"""The login service (Flask). Built in a later issue; eid/ never imports it."""
