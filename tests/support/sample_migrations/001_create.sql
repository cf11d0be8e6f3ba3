CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL);
