//! The diesel schema shared by SQLite and PostgreSQL. Written by hand: both sets of
//! migrations must produce exactly these columns (types both engines share).

diesel::table! {
    areas (code) {
        code -> Text,
        level -> Text,
        name_th -> Text,
        name_en -> Text,
        parent_code -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
    }
}

diesel::table! {
    app_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        record_type -> Text,
        record_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(areas, app_meta, audit_log);

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        display_name -> Text,
        role -> Text,
        area_code -> Text,
        province_code -> Nullable<Text>,
        district_code -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Text,
        active -> Bool,
        token_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        spent_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username_key -> Text,
        client_addr -> Text,
        at -> Timestamp,
        succeeded -> Bool,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, refresh_tokens, login_attempts);

diesel::table! {
    visits (id) {
        id -> Text,
        author_id -> Text,
        visited_at -> Timestamp,
        received_at -> Timestamp,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        declared_area_code -> Nullable<Text>,
        area_code -> Text,
        province_code -> Text,
        district_code -> Nullable<Text>,
        activity -> Text,
        households_visited -> BigInt,
        people_reached -> BigInt,
        summary -> Text,
        needs -> Text,
        follow_up_needed -> Bool,
        flags -> Text,
        review_status -> Text,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        content_hash -> Text,
    }
}

diesel::table! {
    visit_target_groups (visit_id, target_group) {
        visit_id -> Text,
        target_group -> Text,
    }
}

diesel::table! {
    visit_photos (id) {
        id -> Text,
        visit_id -> Text,
        sha256 -> Text,
        content_type -> Text,
        bytes -> BigInt,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(visit_target_groups -> visits (visit_id));
diesel::joinable!(visit_photos -> visits (visit_id));
diesel::allow_tables_to_appear_in_same_query!(visits, visit_target_groups, visit_photos, users);
