"""The clerk's desk, the web layer over the register: the 收文登记簿, the registration form, and the telegram page,
which shows what every domain app holds about one telegram (its record, deliveries, routing timeline, 批示,
unknown units). It sits on top so the domain apps below it never import each other upward."""
